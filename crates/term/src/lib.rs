//! How text a program wrote to a terminal looks once a terminal has shown it: carriage returns overwrite, erase
//! sequences erase, cursor moves move, and every other escape sequence (colours, queries, titles) is dropped.
//!
//! The UI shows logs, command output and its terminal as plain text. Simply deleting control characters is not
//! enough: a shell that redraws its prompt after `\r` (busybox ash does, after asking for the cursor position), or
//! a progress bar that rewrites its line, would show every version of the line one after another. [`render`]
//! keeps a small model of the lines and the cursor instead, enough for shells and line-oriented programs; it
//! does not emulate full-screen programs.

/// The text `raw` shows on a terminal, as lines joined with `\n`. `screen_rows` is the height of the screen, for
/// cursor positions counted from its top (`ESC [ row ; col H`).
pub fn render(raw: &str, screen_rows: usize) -> String {
    let mut screen = Screen::new(screen_rows.max(1));
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    let mut params = String::new();
                    let mut last = None;
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            last = Some(d);
                            break;
                        }
                        params.push(d);
                    }
                    if let Some(command) = last {
                        screen.csi(&params, command);
                    }
                }
                Some(']') => {
                    // OSC (e.g. a window title): up to BEL or ESC \.
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                // Charset selection: one more character.
                Some('(' | ')' | '*' | '+') => {
                    chars.next();
                }
                Some('7') => screen.save(),
                Some('8') => screen.restore(),
                _ => {}
            },
            '\r' => screen.col = 0,
            '\n' => screen.newline(),
            '\u{8}' => screen.col = screen.col.saturating_sub(1),
            '\t' => {
                let next = (screen.col / 8 + 1) * 8;
                while screen.col < next {
                    screen.put(' ');
                }
            }
            c if c.is_control() => {}
            c => screen.put(c),
        }
    }
    screen.text()
}

/// Lines written so far and the cursor.
struct Screen {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
    rows: usize,
    saved: (usize, usize),
}

impl Screen {
    fn new(rows: usize) -> Screen {
        Screen {
            lines: vec![Vec::new()],
            row: 0,
            col: 0,
            rows,
            saved: (0, 0),
        }
    }

    fn line(&mut self) -> &mut Vec<char> {
        while self.lines.len() <= self.row {
            self.lines.push(Vec::new());
        }
        &mut self.lines[self.row]
    }

    fn put(&mut self, c: char) {
        let col = self.col;
        let line = self.line();
        if line.len() < col {
            line.resize(col, ' ');
        }
        if col < line.len() {
            line[col] = c;
        } else {
            line.push(c);
        }
        self.col += 1;
    }

    fn newline(&mut self) {
        self.row += 1;
        self.col = 0;
        self.line();
    }

    fn save(&mut self) {
        self.saved = (self.row, self.col);
    }

    fn restore(&mut self) {
        (self.row, self.col) = self.saved;
        self.line();
    }

    /// The first line of the screen: the last `rows` lines are on it.
    fn top(&self) -> usize {
        self.lines.len().saturating_sub(self.rows)
    }

    /// A control sequence `ESC [ params command`.
    fn csi(&mut self, params: &str, command: char) {
        // Private sequences (`ESC [ ? 25 h`, ...) and their like change modes, not text.
        if params.starts_with(['?', '>', '=']) {
            return;
        }
        let numbers: Vec<usize> = params
            .split(';')
            .map(|p| p.parse::<usize>().unwrap_or(0))
            .collect();
        let first = numbers.first().copied().unwrap_or(0);
        let count = first.max(1);
        match command {
            'K' => {
                let col = self.col;
                let line = self.line();
                match first {
                    0 => line.truncate(col),
                    1 => {
                        for c in line.iter_mut().take(col + 1) {
                            *c = ' ';
                        }
                    }
                    _ => line.clear(),
                }
            }
            'J' => match first {
                0 => {
                    let col = self.col;
                    self.line().truncate(col);
                    self.lines.truncate(self.row + 1);
                }
                1 => {}
                _ => {
                    // The whole screen: what scrolled off stays, as on a terminal with scrollback.
                    let top = self.top();
                    self.lines.truncate(top);
                    self.row = top;
                    self.col = 0;
                    self.line();
                }
            },
            'A' => self.row = self.row.saturating_sub(count).max(self.top()),
            'B' | 'E' => {
                self.row += count;
                if command == 'E' {
                    self.col = 0;
                }
                self.line();
            }
            'C' => self.col += count,
            'D' => self.col = self.col.saturating_sub(count),
            'F' => {
                self.row = self.row.saturating_sub(count).max(self.top());
                self.col = 0;
            }
            'G' => self.col = count - 1,
            'H' | 'f' => {
                let row = count - 1;
                let col = numbers.get(1).copied().unwrap_or(0).max(1) - 1;
                self.row = self.top() + row;
                self.col = col;
                self.line();
            }
            's' => self.save(),
            'u' => self.restore(),
            // Colours, modes, status queries (`ESC [ 6 n`), scrolling regions: nothing to show.
            _ => {}
        }
    }

    fn text(&self) -> String {
        self.lines
            .iter()
            .map(|line| line.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: &str) -> String {
        render(raw, 24)
    }

    #[test]
    fn plain_text_and_newlines_are_kept() {
        assert_eq!(shown("a\nb\r\nc"), "a\nb\nc");
        assert_eq!(shown("tab\there"), "tab     here");
    }

    #[test]
    fn a_prompt_redrawn_after_a_carriage_return_shows_once() {
        // What busybox ash prints: the prompt, a cursor position query, then the prompt again over itself.
        let raw =
            "\r\nBusyBox\r\n/home/amika/workspace # \u{1b}[6n\r/home/amika/workspace # \u{1b}[J";
        assert_eq!(shown(raw), "\nBusyBox\n/home/amika/workspace # ");
    }

    #[test]
    fn a_progress_line_shows_its_last_state() {
        assert_eq!(shown("10%\r50%\r100%\ndone"), "100%\ndone");
        assert_eq!(shown("long line\rshort\u{1b}[K"), "short");
    }

    #[test]
    fn colours_titles_and_charsets_are_dropped() {
        assert_eq!(
            shown("\u{1b}]0;title\u{7}\u{1b}[1;32mgreen\u{1b}[0m \u{1b}(Bplain"),
            "green plain"
        );
        assert_eq!(shown("\u{1b}]2;t\u{1b}\\x"), "x");
        assert_eq!(shown("\u{1b}[?2004hready\u{1b}[?25l"), "ready");
    }

    #[test]
    fn backspace_and_cursor_moves_edit_the_line() {
        // Line editing erasing a character: back, blank, back.
        assert_eq!(shown("lsx\u{8} \u{8}"), "ls ");
        assert_eq!(shown("abcdef\u{1b}[3Dxy"), "abcxyf");
        assert_eq!(shown("ab\u{1b}[3Cz"), "ab   z");
        assert_eq!(shown("abc\u{1b}[1Gz"), "zbc");
        assert_eq!(shown("one\ntwo\u{1b}[Aa"), "onea\ntwo");
        assert_eq!(shown("abc\u{1b}[1K"), "   ");
        assert_eq!(shown("abc\u{1b}[2Kx"), "   x");
        assert_eq!(shown("ab\u{1b}7cd\u{1b}8X"), "abXd");
    }

    #[test]
    fn clearing_the_screen_keeps_what_scrolled_off() {
        let mut raw = String::new();
        for i in 0..30 {
            raw.push_str(&format!("line {i}\r\n"));
        }
        raw.push_str("\u{1b}[H\u{1b}[2Jprompt");
        let text = render(&raw, 24);
        assert!(text.starts_with("line 0\nline 1\n"), "{text}");
        assert!(!text.contains("line 29"), "{text}");
        assert!(text.ends_with("\nprompt"), "{text}");
        // Cursor addressing from the top of the screen.
        assert_eq!(render("a\nb\nc\u{1b}[2;1HB", 3), "a\nB\nc");
    }

    #[test]
    fn erase_below_removes_the_lines_under_the_cursor() {
        assert_eq!(shown("one\ntwo\nthree\u{1b}[2A\u{1b}[2G\u{1b}[J"), "o");
    }
}
