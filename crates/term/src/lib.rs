//! How text a program wrote to a terminal looks once a terminal has shown it: carriage returns overwrite, erase
//! sequences erase, cursor moves move, and every other escape sequence (colours, queries, titles) is dropped.
//!
//! The UI shows logs, command output and its terminal as plain text. Simply deleting control characters is not
//! enough: a shell that redraws its prompt after `\r` (busybox ash does, after asking for the cursor position), or
//! a progress bar that rewrites its line, would show every version of the line one after another. [`render`]
//! keeps a small model of the lines and the cursor instead, enough for shells and line-oriented programs.
//! [`Terminal`], fed as output arrives, adds xterm's alternate screen: a fixed grid of rows and columns with
//! scrolling regions and line and character insertion, which full-screen programs (`vi`, `less`, `top`) draw on;
//! leaving it brings the lines back as they were. [`key_input`] is the other direction: what a key pressed in the terminal sends to
//! the program, as xterm sends it.

/// What a terminal shows: its lines joined with `\n`, and where the cursor is in them (line, column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The lines, joined with `\n`.
    pub text: String,
    /// The cursor's line (0 is the first of `text`).
    pub cursor_line: usize,
    /// The cursor's column, in characters (it may be past the end of its line).
    pub cursor_col: usize,
    /// The program asked for application cursor keys (`ESC [ ? 1 h`): arrows, Home and End are to be sent as
    /// `ESC O x` (see [`application_keys`]).
    pub application_cursor_keys: bool,
}

/// The text `raw` shows on a terminal, as lines joined with `\n`. `screen_rows` is the height of the screen, for
/// cursor positions counted from its top (`ESC [ row ; col H`).
pub fn render(raw: &str, screen_rows: usize) -> String {
    render_with_cursor(raw, screen_rows).text
}

/// Like [`render`], with the cursor's position.
pub fn render_with_cursor(raw: &str, screen_rows: usize) -> Rendered {
    let mut terminal = Terminal::plain(screen_rows, None);
    terminal.feed(raw);
    terminal.rendered()
}

/// How many lines a [`Terminal`]'s main screen keeps (what scrolled further up is forgotten).
pub const KEPT_LINES: usize = 3000;

/// A terminal fed as output arrives: the main screen (lines that grow, the newest [`KEPT_LINES`] kept) and, while
/// a program uses it, the alternate screen (`ESC [ ? 1049 h` until `ESC [ ? 1049 l`), whose `rows` lines it then
/// shows instead.
pub struct Terminal {
    main: Screen,
    /// The alternate screen's width; `None`: no alternate screen (logs).
    cols: Option<usize>,
    alt: Option<Grid>,
    application_cursor_keys: bool,
    /// The start of an escape sequence that the output fed so far ended in the middle of.
    pending: String,
}

impl Terminal {
    /// A terminal of `rows` × `cols`.
    pub fn new(rows: usize, cols: usize) -> Terminal {
        let mut terminal = Terminal::plain(rows, Some(cols.max(1)));
        terminal.main.kept_lines = Some(KEPT_LINES);
        terminal
    }

    /// A terminal without an alternate screen nor a line limit: logs.
    fn plain(rows: usize, cols: Option<usize>) -> Terminal {
        Terminal {
            main: Screen::new(rows.max(1)),
            cols,
            alt: None,
            application_cursor_keys: false,
            pending: String::new(),
        }
    }

    /// Apply more output. An escape sequence cut between two pieces is applied once it is whole.
    pub fn feed(&mut self, output: &str) {
        let mut raw = std::mem::take(&mut self.pending);
        raw.push_str(output);
        let whole = whole_prefix_len(&raw);
        // A sequence that never ends is text after all, not a reason to hold everything back.
        if raw.len() - whole <= MAX_PENDING {
            self.pending = raw.split_off(whole);
        }
        self.apply(&raw);
    }

    fn apply(&mut self, raw: &str) {
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
                            self.csi(&params, command);
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
                    Some(other) => self.escape(other),
                    None => {}
                },
                c => match &mut self.alt {
                    Some(grid) => grid.input(c),
                    None => self.main.input(c),
                },
            }
        }
    }

    fn escape(&mut self, c: char) {
        match (&mut self.alt, c) {
            (Some(grid), _) => grid.escape(c),
            (None, '7') => self.main.save(),
            (None, '8') => self.main.restore(),
            _ => {}
        }
    }

    fn csi(&mut self, params: &str, command: char) {
        if let (Some(modes), 'h' | 'l') = (params.strip_prefix('?'), command) {
            self.set_modes(modes, command == 'h');
        }
        let Some(params) = text_params(params) else {
            return;
        };
        match &mut self.alt {
            Some(grid) => grid.csi(&params, command),
            None => self.main.csi(&params, command),
        }
    }

    /// `ESC [ ? modes h` (`on`) or `l`: application cursor keys, and the alternate screen (where there is one).
    fn set_modes(&mut self, modes: &str, on: bool) {
        for mode in modes.split(';') {
            match (mode, self.cols) {
                ("1", _) => self.application_cursor_keys = on,
                ("1049" | "1047" | "47", Some(cols)) => {
                    self.alt = on.then(|| Grid::new(self.main.rows, cols));
                }
                _ => {}
            }
        }
    }

    /// What the terminal shows now.
    pub fn rendered(&self) -> Rendered {
        let (text, cursor_line, cursor_col) = match &self.alt {
            Some(grid) => grid.shown(),
            None => (self.main.text(), self.main.row, self.main.col),
        };
        Rendered {
            text,
            cursor_line,
            cursor_col,
            application_cursor_keys: self.application_cursor_keys,
        }
    }
}

/// The longest piece of an unfinished escape sequence held back between two pieces of output.
const MAX_PENDING: usize = 4096;

/// How much of `raw` is whole: all of it, unless it ends in the middle of an escape sequence, which then starts at
/// the answer.
fn whole_prefix_len(raw: &str) -> usize {
    let Some(start) = raw.rfind('\u{1b}') else {
        return raw.len();
    };
    let mut rest = raw[start + 1..].chars();
    let whole = match rest.next() {
        None => false,
        Some('[') => rest.any(|d| ('@'..='~').contains(&d)),
        Some(']') => rest.any(|d| d == '\u{7}'),
        Some('(' | ')' | '*' | '+') => rest.next().is_some(),
        Some(_) => true,
    };
    if whole { raw.len() } else { start }
}

/// The parameters of a control sequence: its numbers (a missing one is 0), the first, and the first as a count
/// (at least 1).
struct Params {
    numbers: Vec<usize>,
    first: usize,
    count: usize,
}

/// The parameters of a control sequence that may change text; `None` for private sequences (`ESC [ ? 25 h`,
/// ...) and their like, which change modes, colours or ask questions.
fn text_params(params: &str) -> Option<Params> {
    if params.starts_with(['?', '>', '=']) {
        return None;
    }
    let numbers: Vec<usize> = params
        .split(';')
        .map(|p| p.parse::<usize>().unwrap_or(0))
        .collect();
    let first = numbers.first().copied().unwrap_or(0);
    Some(Params {
        numbers,
        first,
        count: first.max(1),
    })
}

/// The alternate screen: `rows` lines of `cols` cells, a cursor, and a scrolling region.
struct Grid {
    cells: Vec<Vec<char>>,
    rows: usize,
    cols: usize,
    row: usize,
    col: usize,
    /// The scrolling region, first and last line (inclusive).
    top: usize,
    bottom: usize,
    saved: (usize, usize),
    /// The last column was written: the next character goes to the start of the next line.
    wrap_pending: bool,
}

impl Grid {
    fn new(rows: usize, cols: usize) -> Grid {
        Grid {
            cells: vec![vec![' '; cols]; rows],
            rows,
            cols,
            row: 0,
            col: 0,
            top: 0,
            bottom: rows - 1,
            saved: (0, 0),
            wrap_pending: false,
        }
    }

    fn input(&mut self, c: char) {
        match c {
            '\r' => {
                self.col = 0;
                self.wrap_pending = false;
            }
            '\n' | '\u{b}' | '\u{c}' => self.linefeed(),
            '\u{8}' => {
                self.col = self.col.saturating_sub(1);
                self.wrap_pending = false;
            }
            '\t' => self.col = ((self.col / 8 + 1) * 8).min(self.cols - 1),
            c if c.is_control() => {}
            c => self.put(c),
        }
    }

    fn put(&mut self, c: char) {
        if self.wrap_pending {
            self.col = 0;
            self.linefeed();
        }
        self.cells[self.row][self.col] = c;
        if self.col + 1 < self.cols {
            self.col += 1;
        } else {
            self.wrap_pending = true;
        }
    }

    /// Down one line; at the bottom of the scrolling region, the region scrolls up.
    fn linefeed(&mut self) {
        self.wrap_pending = false;
        if self.row == self.bottom {
            self.scroll_up(1);
        } else if self.row + 1 < self.rows {
            self.row += 1;
        }
    }

    /// Up one line; at the top of the scrolling region, the region scrolls down.
    fn reverse_linefeed(&mut self) {
        self.wrap_pending = false;
        if self.row == self.top {
            self.scroll_down(1);
        } else {
            self.row = self.row.saturating_sub(1);
        }
    }

    fn blank(&self) -> Vec<char> {
        vec![' '; self.cols]
    }

    /// The lines of the scrolling region move up `n`; blank lines come in at its bottom.
    fn scroll_up(&mut self, n: usize) {
        for _ in 0..n.min(self.bottom + 1 - self.top) {
            self.cells.remove(self.top);
            self.cells.insert(self.bottom, self.blank());
        }
    }

    /// The lines of the scrolling region move down `n`; blank lines come in at its top.
    fn scroll_down(&mut self, n: usize) {
        for _ in 0..n.min(self.bottom + 1 - self.top) {
            self.cells.remove(self.bottom);
            self.cells.insert(self.top, self.blank());
        }
    }

    fn escape(&mut self, c: char) {
        match c {
            '7' => self.saved = (self.row, self.col),
            '8' => {
                (self.row, self.col) = self.saved;
                self.wrap_pending = false;
            }
            'D' => self.linefeed(),
            'E' => {
                self.col = 0;
                self.linefeed();
            }
            'M' => self.reverse_linefeed(),
            'c' => *self = Grid::new(self.rows, self.cols),
            _ => {}
        }
    }

    fn csi(&mut self, params: &Params, command: char) {
        let (numbers, first, count) = (&params.numbers, params.first, params.count);
        let last_row = self.rows - 1;
        let last_col = self.cols - 1;
        self.wrap_pending = false;
        match command {
            'A' => self.row = self.row.saturating_sub(count),
            'B' | 'e' => self.row = (self.row + count).min(last_row),
            'C' | 'a' => self.col = (self.col + count).min(last_col),
            'D' => self.col = self.col.saturating_sub(count),
            'E' => {
                self.row = (self.row + count).min(last_row);
                self.col = 0;
            }
            'F' => {
                self.row = self.row.saturating_sub(count);
                self.col = 0;
            }
            'G' | '`' => self.col = (count - 1).min(last_col),
            'd' => self.row = (count - 1).min(last_row),
            'H' | 'f' => {
                self.row = (count - 1).min(last_row);
                self.col = (numbers.get(1).copied().unwrap_or(0).max(1) - 1).min(last_col);
            }
            'J' => {
                let (row, col) = (self.row, self.col);
                let lines = match first {
                    0 => {
                        self.cells[row][col..].fill(' ');
                        row + 1..self.rows
                    }
                    1 => {
                        self.cells[row][..=col].fill(' ');
                        0..row
                    }
                    _ => 0..self.rows,
                };
                for line in lines {
                    self.cells[line].fill(' ');
                }
            }
            'K' => {
                let (row, col) = (self.row, self.col);
                match first {
                    0 => self.cells[row][col..].fill(' '),
                    1 => self.cells[row][..=col].fill(' '),
                    _ => self.cells[row].fill(' '),
                }
            }
            'L' | 'M' if (self.top..=self.bottom).contains(&self.row) => {
                // Lines inserted or deleted at the cursor's line, within the scrolling region.
                let top = self.top;
                self.top = self.row;
                if command == 'L' {
                    self.scroll_down(count);
                } else {
                    self.scroll_up(count);
                }
                self.top = top;
                self.col = 0;
            }
            '@' => {
                let (row, col) = (self.row, self.col);
                for _ in 0..count.min(self.cols - col) {
                    self.cells[row].insert(col, ' ');
                    self.cells[row].pop();
                }
            }
            'P' => {
                let (row, col) = (self.row, self.col);
                for _ in 0..count.min(self.cols - col) {
                    self.cells[row].remove(col);
                    self.cells[row].push(' ');
                }
            }
            'X' => {
                let (row, col) = (self.row, self.col);
                let end = (col + count).min(self.cols);
                self.cells[row][col..end].fill(' ');
            }
            'S' => self.scroll_up(count),
            'T' => self.scroll_down(count),
            'r' => {
                let top = first.max(1) - 1;
                let bottom = numbers
                    .get(1)
                    .copied()
                    .filter(|b| *b > 0)
                    .unwrap_or(self.rows)
                    .min(self.rows)
                    - 1;
                if top < bottom {
                    (self.top, self.bottom) = (top, bottom);
                    (self.row, self.col) = (0, 0);
                }
            }
            's' => self.saved = (self.row, self.col),
            'u' => (self.row, self.col) = self.saved,
            _ => {}
        }
    }

    /// Its lines (trailing blanks trimmed) joined with `\n`, and the cursor's line and column.
    fn shown(&self) -> (String, usize, usize) {
        let text = self
            .cells
            .iter()
            .map(|line| line.iter().collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        (text, self.row, self.col)
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

/// What [`key_input`] answered for a key, as sent in application cursor key mode: the arrows, Home and End as
/// `ESC O x` instead of `ESC [ x` (what `vi`, `less` and readline ask for with `ESC [ ? 1 h`).
pub fn application_keys(input: String) -> String {
    match input.strip_prefix("\u{1b}[") {
        Some(last @ ("A" | "B" | "C" | "D" | "H" | "F")) => format!("\u{1b}O{last}"),
        _ => input,
    }
}

/// Lines written so far and the cursor.
struct Screen {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
    rows: usize,
    saved: (usize, usize),
    /// Forget the oldest lines beyond this many (`None`: keep every line).
    kept_lines: Option<usize>,
}

impl Screen {
    fn new(rows: usize) -> Screen {
        Screen {
            lines: vec![Vec::new()],
            row: 0,
            col: 0,
            rows,
            saved: (0, 0),
            kept_lines: None,
        }
    }

    fn line(&mut self) -> &mut Vec<char> {
        while self.lines.len() <= self.row {
            self.lines.push(Vec::new());
        }
        if let Some(kept) = self.kept_lines
            && self.lines.len() > kept + kept / 4
        {
            // In batches, so that forgetting costs little per line.
            let forget = self.lines.len() - kept;
            self.lines.drain(..forget);
            self.row = self.row.saturating_sub(forget);
            self.saved.0 = self.saved.0.saturating_sub(forget);
        }
        &mut self.lines[self.row]
    }

    fn input(&mut self, c: char) {
        match c {
            '\r' => self.col = 0,
            '\n' => self.newline(),
            '\u{8}' => self.col = self.col.saturating_sub(1),
            '\t' => {
                let next = (self.col / 8 + 1) * 8;
                while self.col < next {
                    self.put(' ');
                }
            }
            c if c.is_control() => {}
            c => self.put(c),
        }
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
    fn csi(&mut self, params: &Params, command: char) {
        let (numbers, first, count) = (&params.numbers, params.first, params.count);
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

    /// What a `rows` × `cols` [`Terminal`] shows after `raw`.
    fn render_terminal(raw: &str, rows: usize, cols: usize) -> Rendered {
        let mut terminal = Terminal::new(rows, cols);
        terminal.feed(raw);
        terminal.rendered()
    }

    /// The alternate screen of a `rows` × `cols` terminal after `raw`, its lines trimmed.
    fn grid(raw: &str, rows: usize, cols: usize) -> Rendered {
        render_terminal(&format!("\u{1b}[?1049h{raw}"), rows, cols)
    }

    #[test]
    fn a_full_screen_program_draws_on_the_alternate_screen_and_leaving_it_restores_the_lines() {
        // What busybox vi wrote on a 5 × 20 terminal: clear, a tilde per empty line, the status line.
        let vi = "\u{1b}[?1049h\u{1b}[999;999H\u{1b}[6n\u{1b}[H\u{1b}[J\u{1b}[2;1H~\u{1b}[3;1H~\u{1b}[4;1H~\
                  \u{1b}[1;1H\u{1b}[5;1H\u{1b}[K- /tmp/x 1/1 100%\u{1b}[1;1H";
        let before = "/ # echo hi\r\nhi\r\n/ # vi /tmp/x\r\n";
        let on = render_terminal(&format!("{before}{vi}"), 5, 20);
        assert_eq!(on.text, "\n~\n~\n~\n- /tmp/x 1/1 100%");
        assert_eq!((on.cursor_line, on.cursor_col), (0, 0));
        // Typing on it, then leaving: the shell's lines are back, with what comes next after them.
        let off = render_terminal(&format!("{before}{vi}hello\u{1b}[?1049l/ # "), 5, 20);
        assert_eq!(off.text, "/ # echo hi\nhi\n/ # vi /tmp/x\n/ # ");
        assert_eq!((off.cursor_line, off.cursor_col), (3, 4));
        // Logs have no alternate screen: the sequence is dropped, the text stays.
        assert_eq!(render("a\u{1b}[?1049hb", 24), "ab");
    }

    #[test]
    fn the_alternate_screen_wraps_at_its_width_and_scrolls_at_its_bottom() {
        assert_eq!(grid("abcdefg", 3, 5).text, "abcde\nfg\n");
        let scrolled = grid("1\r\n2\r\n3\r\n4", 3, 5);
        assert_eq!(scrolled.text, "2\n3\n4");
        assert_eq!((scrolled.cursor_line, scrolled.cursor_col), (2, 1));
        // Only the scrolling region (lines 2-3) scrolls; line 1 and 4 stay.
        let region = grid("top\u{1b}[4;1Hbot\u{1b}[2;3r\u{1b}[2;1Ha\r\nb\r\nc", 4, 5);
        assert_eq!(region.text, "top\nb\nc\nbot");
        // A reverse line feed at the top of the region scrolls it down.
        let reverse = grid("\u{1b}[1;1Hx\u{1b}[2;1Hy\u{1b}[1;1H\u{1b}Mz", 3, 5);
        assert_eq!(reverse.text, "z\nx\ny");
    }

    #[test]
    fn lines_and_characters_are_inserted_deleted_and_erased_on_the_alternate_screen() {
        let lines = "\u{1b}[1;1Ha\u{1b}[2;1Hb\u{1b}[3;1Hc";
        assert_eq!(
            grid(&format!("{lines}\u{1b}[2;1H\u{1b}[L"), 3, 5).text,
            "a\n\nb"
        );
        assert_eq!(
            grid(&format!("{lines}\u{1b}[1;1H\u{1b}[M"), 3, 5).text,
            "b\nc\n"
        );
        assert_eq!(grid("abcde\u{1b}[1;2H\u{1b}[2P", 1, 5).text, "ade");
        assert_eq!(grid("abcde\u{1b}[1;2H\u{1b}[@", 1, 5).text, "a bcd");
        assert_eq!(grid("abcde\u{1b}[1;2H\u{1b}[3X", 1, 5).text, "a   e");
        assert_eq!(grid("abcde\u{1b}[1;3H\u{1b}[K", 1, 5).text, "ab");
        assert_eq!(grid("ab\r\ncd\u{1b}[1;2H\u{1b}[J", 2, 5).text, "a\n");
        assert_eq!(grid("ab\u{1b}[2J", 2, 5).text, "\n");
    }

    #[test]
    fn application_cursor_keys_are_followed() {
        assert!(render_terminal("\u{1b}[?1h", 3, 5).application_cursor_keys);
        assert!(!render_terminal("\u{1b}[?1h\u{1b}[?1l", 3, 5).application_cursor_keys);
        assert!(!render_terminal("\u{1b}[?25h", 3, 5).application_cursor_keys);
        assert_eq!(application_keys("\u{1b}[A".into()), "\u{1b}OA");
        assert_eq!(application_keys("\u{1b}[H".into()), "\u{1b}OH");
        assert_eq!(application_keys("\u{1b}[3~".into()), "\u{1b}[3~");
        assert_eq!(application_keys("a".into()), "a");
    }

    #[test]
    fn output_fed_in_pieces_shows_as_output_fed_at_once() {
        let raw = "a\u{1b}[?1049h\u{1b}[2;3Hx\u{1b}]0;title\u{7}\u{1b}(Bz\u{1b}[?1049lb\u{1b}[1;32mc\u{1b}[0m";
        let at_once = render_terminal(raw, 4, 10);
        // Cut at every place, escape sequences included.
        for cut in (0..=raw.len()).filter(|i| raw.is_char_boundary(*i)) {
            let mut terminal = Terminal::new(4, 10);
            terminal.feed(&raw[..cut]);
            terminal.feed(&raw[cut..]);
            assert_eq!(terminal.rendered(), at_once, "cut at {cut}");
        }
        // On the alternate screen too.
        let mut terminal = Terminal::new(3, 5);
        for piece in ["\u{1b}[?10", "49h\u{1b}[", "2;2H", "y"] {
            terminal.feed(piece);
        }
        assert_eq!(terminal.rendered().text, "\n y\n");
    }

    #[test]
    fn a_terminal_keeps_the_newest_lines() {
        let mut terminal = Terminal::new(24, 80);
        for i in 0..10 * KEPT_LINES {
            terminal.feed(&format!("line {i}\r\n"));
        }
        terminal.feed("last\u{1b}[A\u{1b}[3Gx");
        let shown = terminal.rendered();
        let lines: Vec<&str> = shown.text.lines().collect();
        assert!(
            lines.len() <= KEPT_LINES + KEPT_LINES / 4,
            "{}",
            lines.len()
        );
        assert_eq!(
            lines[lines.len() - 2],
            format!("lixe {}", 10 * KEPT_LINES - 1)
        );
        assert_eq!(lines[lines.len() - 1], "last");
        assert_eq!(shown.cursor_line, lines.len() - 2);
    }
}
