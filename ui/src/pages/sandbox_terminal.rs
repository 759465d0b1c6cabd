//! A sandbox's terminal on its detail page: one shell session (opened from the page's header, closed on leaving),
//! its screen drawn from the live terminal output (keys typed on it go to the shell), and a line input.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError,
    requests::{CloseTerminal, OpenTerminal, TerminalInput, TerminalOpen, WriteTerminal},
};

use crate::ipc;
use crate::live::{Live, TERMINAL_COLS, TERMINAL_ROWS, use_live};

/// One terminal session of the page: opened from the header, shown in the Terminal section, closed on leaving.
#[derive(Clone, Copy)]
pub(crate) struct Terminal {
    live: Live,
    name: StoredValue<String>,
    /// The open session's id.
    session: RwSignal<Option<String>>,
    /// Opening is under way.
    pub(crate) opening: RwSignal<bool>,
    pub(crate) error: RwSignal<Option<ApiError>>,
    /// Input not sent yet: one write is in flight at a time, so keys arrive in the order they were typed.
    outbox: StoredValue<String>,
    /// A write is in flight.
    sending: StoredValue<bool>,
}

impl Terminal {
    pub(crate) fn new(name: String) -> Terminal {
        let terminal = Terminal {
            live: use_live(),
            name: StoredValue::new(name),
            session: RwSignal::new(None),
            opening: RwSignal::new(false),
            error: RwSignal::new(None),
            outbox: StoredValue::new(String::new()),
            sending: StoredValue::new(false),
        };
        // The session id outlives the page's signals, so leaving the page can still close it.
        let open_session = ArcRwSignal::new(None::<String>);
        let mirror = open_session.clone();
        Effect::new(move |_| mirror.set(terminal.session.get()));
        let live = terminal.live;
        on_cleanup(move || {
            if let Some(session) = open_session.get_untracked() {
                live.terminals
                    .try_update(|screens| screens.remove(&session));
                leptos::task::spawn_local(async move {
                    let _ = ipc::call::<CloseTerminal>(&session).await;
                });
            }
        });
        terminal
    }

    /// Whether a session is open and has not ended.
    pub(crate) fn is_open(self) -> bool {
        match self.session.get() {
            Some(session) => self
                .live
                .terminals
                .with(|screens| screens.get(&session).is_none_or(|screen| !screen.closed)),
            None => false,
        }
    }

    pub(crate) fn open(self) {
        if self.opening.get_untracked() {
            return;
        }
        self.opening.set(true);
        self.error.set(None);
        let params = TerminalOpen {
            name: self.name.get_value(),
            cols: TERMINAL_COLS,
            rows: TERMINAL_ROWS,
        };
        leptos::task::spawn_local(async move {
            let result = ipc::call::<OpenTerminal>(&params).await;
            self.opening.try_set(false);
            match result {
                Ok(session) => {
                    self.session.try_set(Some(session));
                }
                Err(e) => {
                    self.error.try_set(Some(e));
                }
            }
        });
    }

    /// Send input to the shell, after whatever was typed before it.
    fn send(self, data: String) {
        if self.session.get_untracked().is_none() {
            return;
        }
        self.outbox.update_value(|pending| pending.push_str(&data));
        if !self.sending.get_value() {
            self.flush();
        }
    }

    /// Write what is pending, then again for what was typed meanwhile, until nothing is left.
    fn flush(self) {
        let (Some(session), Some(data)) = (
            self.session.try_get_untracked().flatten(),
            self.outbox.try_update_value(std::mem::take),
        ) else {
            self.sending.set_value(false);
            return;
        };
        if data.is_empty() {
            self.sending.set_value(false);
            return;
        }
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = ipc::call::<WriteTerminal>(&TerminalInput { session, data }).await {
                self.error.try_set(Some(e));
            }
            self.flush();
        });
    }

    fn close(self) {
        let Some(session) = self.session.get_untracked() else {
            return;
        };
        self.session.set(None);
        self.outbox.set_value(String::new());
        self.live.terminals.update(|screens| {
            screens.remove(&session);
        });
        leptos::task::spawn_local(async move {
            if let Err(e) = ipc::call::<CloseTerminal>(&session).await {
                self.error.try_set(Some(e));
            }
        });
    }
}

/// The screen's text with the cursor drawn on the character it is on.
fn with_cursor(shown: &sbx_term::Rendered) -> impl IntoView + use<> {
    let mut before = String::new();
    let mut at = String::from(" ");
    let mut after = String::new();
    for (index, line) in shown.text.split('\n').enumerate() {
        if index > 0 {
            if index <= shown.cursor_line {
                before.push('\n');
            } else {
                after.push('\n');
            }
        }
        if index < shown.cursor_line {
            before.push_str(line);
        } else if index > shown.cursor_line {
            after.push_str(line);
        } else {
            let chars: Vec<char> = line.chars().collect();
            let col = shown.cursor_col;
            before.extend(chars.iter().take(col));
            if col < chars.len() {
                at = chars[col].to_string();
                after.extend(chars.iter().skip(col + 1));
            } else {
                before.extend(std::iter::repeat_n(' ', col - chars.len()));
            }
        }
    }
    view! {
        {before}
        <span class="cursor" aria-hidden="true">{at}</span>
        {after}
    }
}

/// The terminal: its screen (focus it and type: every key goes to the shell, Tab completion and arrow keys
/// included; Shift+Tab leaves it; pasting sends the text), and a line input that sends a whole line on Enter.
#[component]
pub(crate) fn TerminalSection(terminal: Terminal) -> impl IntoView {
    let live = use_live();
    let line = RwSignal::new(String::new());
    // The screen is drawn at most once per animation frame: a burst of output events costs one render.
    let output = RwSignal::new(None::<sbx_term::Rendered>);
    let frame_pending = StoredValue::new(false);
    let draw = move || {
        // The page may be gone by the next frame.
        if frame_pending.try_set_value(false).is_some() {
            return;
        }
        let Some(session) = terminal.session.try_get_untracked().flatten() else {
            output.try_set(None);
            return;
        };
        let shown = live.terminals.try_with_untracked(|screens| {
            screens
                .get(&session)
                .map(|screen| screen.terminal.rendered())
        });
        // Nothing yet (the shell has not written): an empty screen.
        output.try_set(shown.map(Option::unwrap_or_default));
    };
    Effect::new(move |_| {
        live.terminals.track();
        terminal.session.track();
        if !frame_pending.get_value() {
            frame_pending.set_value(true);
            request_animation_frame(draw);
        }
    });
    let screen = NodeRef::<html::Pre>::new();
    Effect::new(move |_| {
        output.track();
        if let Some(pre) = screen.get() {
            pre.set_scroll_top(pre.scroll_height());
        }
    });
    // Keys typed on the screen go to the shell as a terminal sends them. Shift+Tab still moves the focus on, and
    // Ctrl+V and Cmd/Meta shortcuts stay the browser's (pasting arrives as a paste event).
    let on_screen_key = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        if ev.meta_key()
            || (key == "Tab" && ev.shift_key())
            || (ev.ctrl_key() && key.eq_ignore_ascii_case("v"))
            || !terminal.is_open()
        {
            return;
        }
        if let Some(input) = sbx_term::key_input(&key, ev.ctrl_key(), ev.alt_key()) {
            ev.prevent_default();
            let application = output.with_untracked(|shown| {
                shown
                    .as_ref()
                    .is_some_and(|shown| shown.application_cursor_keys)
            });
            terminal.send(if application {
                sbx_term::application_keys(input)
            } else {
                input
            });
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if let Some(text) = ev
            .clipboard_data()
            .and_then(|data| data.get_data("text").ok())
            .filter(|text| !text.is_empty())
        {
            ev.prevent_default();
            terminal.send(text);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            let text = line.get_untracked();
            line.set(String::new());
            terminal.send(format!("{text}\n"));
        } else if ev.ctrl_key()
            && (ev.key() == "c" || ev.key() == "C")
            && line.get_untracked().is_empty()
        {
            ev.prevent_default();
            terminal.send("\u{3}".to_string());
        }
    };
    view! {
        <section class="terminal-section" aria-labelledby="terminal-heading">
            <h2 id="terminal-heading">"Terminal"</h2>
            <Show
                when=move || terminal.session.get().is_some()
                fallback=move || view! {
                    <p class="muted">{move || if terminal.opening.get() { "Opening a shell…" } else { "No terminal open — press Open terminal for a shell in the sandbox." }}</p>
                }
            >
                <pre class="terminal" aria-label="Terminal" tabindex="0" node_ref=screen
                    title="Click here and type: keys go to the shell (Shift+Tab leaves)"
                    on:keydown=on_screen_key on:paste=on_paste>
                    {move || output.get().map(|shown| with_cursor(&shown))}
                </pre>
                <div class="toolbar">
                    <input class="grow mono" aria-label="Terminal input" placeholder="Type a command and press Enter (Ctrl+C interrupts)"
                        autocomplete="off" spellcheck="false" disabled=move || !terminal.is_open()
                        prop:value=move || line.get() on:input=move |ev| line.set(event_target_value(&ev))
                        on:change=move |ev| line.set(event_target_value(&ev))
                        on:keydown=on_key />
                    <button aria-label="Close terminal" on:click=move |_| terminal.close()>"Close terminal"</button>
                </div>
            </Show>
        </section>
    }
}
