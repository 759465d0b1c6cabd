//! How text a program wrote to a terminal looks once a terminal has shown it: carriage returns overwrite, erase
//! sequences erase, cursor moves move, and every other escape sequence (colours, queries, titles) is dropped.
//!
//! The UI shows logs, command output and its terminal as plain text. Simply deleting control characters is not
//! enough: a shell that redraws its prompt after `\r` (busybox ash does, after asking for the cursor position), or
//! a progress bar that rewrites its line, would show every version of the line one after another. [`render`]
//! keeps a small model of the lines and the cursor instead, enough for shells and line-oriented programs; it
//! does not emulate full-screen programs. [`key_input`] is the other direction: what a key pressed in the
//! terminal sends to the program, as xterm sends it.

/// What a terminal shows: its lines joined with `\n`, and where the cursor is in them (line, column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The lines, joined with `\n`.
    pub text: String,
    /// The cursor's line (0 is the first of `text`).
    pub cursor_line: usize,
    /// The cursor's column, in characters (it may be past the end of its line).
    pub cursor_col: usize,
}

/// The text `raw` shows on a terminal, as lines joined with `\n`. `screen_rows` is the height of the screen, for
/// cursor positions counted from its top (`ESC [ row ; col H`).
pub fn render(raw: &str, screen_rows: usize) -> String {
    render_with_cursor(raw, screen_rows).text
}

/// Like [`render`], with the cursor's position.
pub fn render_with_cursor(raw: &str, screen_rows: usize) -> Rendered {
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
    Rendered {
        text: screen.text(),
        cursor_line: screen.row,
        cursor_col: screen.col,
    }
}

/// The input a key sends to the program in the terminal, as xterm sends it: `key` is the DOM `KeyboardEvent.key`
/// (`"a"`, `"Enter"`, `"ArrowUp"`, ...). `None` for keys that send nothing by themselves (Shift, F-keys, ...)
/// and for Ctrl with a key that has no control character.
pub fn key_input(key: &str, ctrl: bool, alt: bool) -> Option<String> {
    let named = match key {
        "Enter" => Some("\r"),
        "Backspace" => Some("\u{7f}"),
        "Tab" => Some("\t"),
        "Escape" => Some("\u{1b}"),
        "ArrowUp" => Some("\u{1b}[A"),
        "ArrowDown" => Some("\u{1b}[B"),
        "ArrowRight" => Some("\u{1b}[C"),
        "ArrowLeft" => Some("\u{1b}[D"),
        "Home" => Some("\u{1b}[H"),
        "End" => Some("\u{1b}[F"),
        "Insert" => Some("\u{1b}[2~"),
        "Delete" => Some("\u{1b}[3~"),
        "PageUp" => Some("\u{1b}[5~"),
        "PageDown" => Some("\u{1b}[6~"),
        _ => None,
    };
    if let Some(sequence) = named {
        let prefix = if alt { "\u{1b}" } else { "" };
        return Some(format!("{prefix}{sequence}"));
    }
    let mut chars = key.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    let base = if ctrl {
        let code = match c.to_ascii_uppercase() {
            letter @ ('@'..='_') => letter as u8 - b'@',
            ' ' => 0,
            '?' => 0x7f,
            _ => return None,
        };
        char::from(code).to_string()
    } else {
        c.to_string()
    };
    Some(if alt { format!("\u{1b}{base}") } else { base })
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
    fn the_cursor_is_where_the_next_character_goes() {
        let shown = render_with_cursor("line\r\n# ls\u{1b}[2D", 24);
        assert_eq!(shown.text, "line\n# ls");
        assert_eq!((shown.cursor_line, shown.cursor_col), (1, 2));
    }

    #[test]
    fn keys_send_what_xterm_sends() {
        assert_eq!(key_input("a", false, false).as_deref(), Some("a"));
        assert_eq!(key_input("é", false, false).as_deref(), Some("é"));
        assert_eq!(key_input("Enter", false, false).as_deref(), Some("\r"));
        assert_eq!(
            key_input("Backspace", false, false).as_deref(),
            Some("\u{7f}")
        );
        assert_eq!(key_input("Tab", false, false).as_deref(), Some("\t"));
        assert_eq!(
            key_input("ArrowUp", false, false).as_deref(),
            Some("\u{1b}[A")
        );
        assert_eq!(
            key_input("Delete", false, false).as_deref(),
            Some("\u{1b}[3~")
        );
        assert_eq!(key_input("c", true, false).as_deref(), Some("\u{3}"));
        assert_eq!(key_input("D", true, false).as_deref(), Some("\u{4}"));
        assert_eq!(key_input("[", true, false).as_deref(), Some("\u{1b}"));
        assert_eq!(key_input("b", false, true).as_deref(), Some("\u{1b}b"));
        assert_eq!(key_input("Shift", false, false), None);
        assert_eq!(key_input("F5", false, false), None);
        assert_eq!(key_input("1", true, false), None);
    }

    #[test]
    fn erase_below_removes_the_lines_under_the_cursor() {
        assert_eq!(shown("one\ntwo\nthree\u{1b}[2A\u{1b}[2G\u{1b}[J"), "o");
    }
}
