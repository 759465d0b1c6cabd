//! Values fetched from the shell again whenever what their fetch reads changes (a live counter, a page number):
//! one fetch at a time, the newest one asked for runs next, and every answer is shown as it comes.
//!
//! Leptos' `LocalResource` can miss a change that arrives while its fetch runs: the view reading it clears the
//! "changed" mark before the resource's own loop sees it, so the list stays on the answer of the fetch that was
//! running (a snapshot shown `finalizing` for good after it became active). Here an effect tracks the reads and
//! every change it sees asks for a fetch, so the last change always has a fetch that started after it.

use std::{cell::RefCell, future::Future, pin::Pin, rc::Rc};

use leptos::prelude::*;

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// The fetches of one value: whether one runs, and the newest one asked for since it started.
struct Queue<T> {
    running: bool,
    waiting: Option<Boxed<T>>,
}

impl<T: 'static> Queue<T> {
    fn new() -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Queue {
            running: false,
            waiting: None,
        }))
    }

    /// Run `fetch` (through `spawn`) now, or after the one running, in place of any that was waiting; `apply`
    /// gets every answer, in the order the fetches were run.
    fn submit(
        queue: &Rc<RefCell<Self>>,
        fetch: Boxed<T>,
        apply: Rc<dyn Fn(T)>,
        spawn: impl FnOnce(Boxed<()>),
    ) {
        {
            let mut state = queue.borrow_mut();
            if state.running {
                state.waiting = Some(fetch);
                return;
            }
            state.running = true;
        }
        let queue = Rc::clone(queue);
        spawn(Box::pin(async move {
            let mut fetch = fetch;
            loop {
                let answer = fetch.await;
                let next = {
                    let mut state = queue.borrow_mut();
                    let next = state.waiting.take();
                    state.running = next.is_some();
                    next
                };
                apply(answer);
                match next {
                    Some(next) => fetch = next,
                    None => break,
                }
            }
        }));
    }
}

/// The answer of `fetcher`, fetched at once and again whenever a signal it reads changes; `None` until the first
/// answer. Only reads in `fetcher` itself count, not those inside the future it returns (that runs later, where
/// nothing tracks it): read what the fetch depends on first, then move the values into the `async` block.
pub fn fetched<T, Fut>(fetcher: impl Fn() -> Fut + 'static) -> ReadSignal<Option<T>>
where
    T: Send + Sync + 'static,
    Fut: Future<Output = T> + 'static,
{
    let (value, set_value) = signal(None::<T>);
    let queue = Queue::new();
    let apply: Rc<dyn Fn(T)> = Rc::new(move |answer| {
        let _ = set_value.try_set(Some(answer));
    });
    Effect::new(move |_| {
        // Called here, so the signals it reads are tracked by this effect.
        let fetch: Boxed<T> = Box::pin(fetcher());
        Queue::submit(&queue, fetch, Rc::clone(&apply), |run| {
            leptos::task::spawn_local(run);
        });
    });
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_channel::oneshot;
    use futures_executor::LocalPool;
    use futures_util::task::LocalSpawnExt;
    use std::cell::Cell;

    #[test]
    fn one_fetch_at_a_time_the_newest_waiting_one_next_and_every_answer_in_order() {
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        let queue = Queue::<u32>::new();
        let applied = Rc::new(RefCell::new(Vec::new()));
        let apply: Rc<dyn Fn(u32)> = {
            let applied = Rc::clone(&applied);
            Rc::new(move |answer| applied.borrow_mut().push(answer))
        };
        let started = Rc::new(Cell::new(0_u32));
        let mut senders = Vec::new();
        let mut submit = |n: u32| {
            let (send, receive) = oneshot::channel::<()>();
            senders.push(send);
            let started = Rc::clone(&started);
            let fetch: Boxed<u32> = Box::pin(async move {
                started.set(started.get() + 1);
                let _ = receive.await;
                n
            });
            Queue::submit(&queue, fetch, Rc::clone(&apply), |run| {
                spawner.spawn_local(run).unwrap();
            });
        };

        submit(1);
        pool.run_until_stalled();
        assert_eq!(started.get(), 1);
        // Two changes while the first fetch runs: only the newer one is fetched, after it.
        submit(2);
        submit(3);
        pool.run_until_stalled();
        assert_eq!(started.get(), 1, "a second fetch waits for the first");
        let mut senders = senders.into_iter();
        senders.next().unwrap().send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(*applied.borrow(), vec![1]);
        assert_eq!(started.get(), 2, "the newest waiting fetch runs next");
        let _dropped = senders.next();
        senders.next().unwrap().send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(*applied.borrow(), vec![1, 3]);
        assert!(!queue.borrow().running);

        // Idle again: the next change fetches at once.
        let (send, receive) = oneshot::channel::<()>();
        Queue::submit(
            &queue,
            Box::pin(async move {
                let _ = receive.await;
                4
            }),
            Rc::clone(&apply),
            |run| spawner.spawn_local(run).unwrap(),
        );
        send.send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(*applied.borrow(), vec![1, 3, 4]);
    }
}
