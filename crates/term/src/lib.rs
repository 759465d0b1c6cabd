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
//!
//! The output comes from programs in a sandbox, so it is not trusted: whatever the bytes, the work done for each
//! character is bounded by the size of the screen, and so is what is kept.
//!
//! - A number in a control sequence counts at most [`MAX_PARAM`] (`ESC [ 400000000 B` moves as far as
//!   `ESC [ 9999 B`), and only the first [`MAX_PARAMS`] numbers of a sequence are read.
//! - A control sequence longer than [`MAX_SEQUENCE`] bytes, or a string sequence (a title `ESC ] ...`, and
//!   the like) longer than [`MAX_STRING`], is dropped, and what follows it shows as text.
//! - A line of the main screen is at most [`MAX_LINE_WIDTH`] characters wide: text written past that goes on at
//!   the start of the next line, as on a terminal that wide, and cursor moves stop at its last column.
//! - Cursor moves down stop at the bottom of the screen (the last line, or the screen's last row while there are
//!   fewer lines than rows; for [`render`] with a screen taller than [`MAX_PARAM`] rows, that row).
//! - The main screen stores at most about [`MAX_STORED_CELLS`] cells; past that, its oldest lines are forgotten.
//! - The alternate screen is at most [`MAX_ROWS`] × [`MAX_LINE_WIDTH`].

mod alt_screen;

use alt_screen::Grid;

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

/// The largest number a parameter of a control sequence counts as: a larger one counts as this. Far more than any
/// screen needs (programs go to the bottom right corner with `ESC [ 999 ; 999 H`) and than any mode number.
pub const MAX_PARAM: usize = 9999;

/// How many parameters of a control sequence are read; the ones after them are ignored.
pub const MAX_PARAMS: usize = 32;

/// The longest control sequence (what comes between `ESC [` and its final character), in bytes. A longer one is
/// dropped, and what follows shows as text.
pub const MAX_SEQUENCE: usize = 4096;

/// The longest string sequence (`ESC ]` titles and other operating system commands, `ESC P` device control
/// strings, `ESC X`, `ESC ^`, `ESC _`), in characters, up to its end (BEL or `ESC \`). Nothing of it is kept, but
/// one that never ends would hide all the output after it: past this length it is dropped, and what follows shows
/// as text.
pub const MAX_STRING: usize = 65536;

/// The widest line of the main screen, in characters. Text written past it goes on at the start of the next line,
/// as on a terminal this wide; cursor moves right stop at its last column. Long log lines up to this width stay
/// one line; a move right by a huge count pads a line to this width at most.
pub const MAX_LINE_WIDTH: usize = 4096;

/// The most the main screen stores, in cells: each character of a line, or room kept for one, is a cell, and each
/// line costs [`LINE_COST`] more. Past this, the oldest lines are forgotten (down to three quarters of it), so the
/// main screen never holds much more than 16 MiB of characters, however many lines a log has.
pub const MAX_STORED_CELLS: usize = 1 << 22;

/// What a line costs in [`MAX_STORED_CELLS`] besides its characters: its own record (as much as three to six
/// characters) and its end in the text.
pub const LINE_COST: usize = 4;

/// The most rows an alternate screen has (a [`Terminal`] asked for more has this many).
pub const MAX_ROWS: usize = 1000;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// CAN and SUB: cancel the escape sequence in progress.
const CAN: char = '\u{18}';
const SUB: char = '\u{1a}';

/// Where the output fed so far stopped: in text, or inside an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// After `ESC`.
    Escape,
    /// After `ESC` and characters from ` ` to `/` (`ESC ( B` selects a character set): up to a final character.
    EscapeIntermediate,
    /// After `ESC [`, its parameters in `Terminal::params`: up to a final character (`@` to `~`).
    Control,
    /// Inside a string sequence (`ESC ]`, `ESC P`, ...): up to BEL or `ESC \`.
    String,
}

/// A terminal fed as output arrives: the main screen (lines that grow, the newest [`KEPT_LINES`] kept) and, while
/// a program uses it, the alternate screen (`ESC [ ? 1049 h` until `ESC [ ? 1049 l`), whose `rows` lines it then
/// shows instead.
pub struct Terminal {
    main: Screen,
    /// The alternate screen's width; `None`: no alternate screen (logs).
    cols: Option<usize>,
    alt: Option<Grid>,
    application_cursor_keys: bool,
    /// Where the output fed so far stopped: an escape sequence cut between two pieces goes on with the next one.
    state: State,
    /// The parameters of the control sequence in progress (at most [`MAX_SEQUENCE`] bytes).
    params: String,
    /// How long the escape or string sequence in progress is so far, in characters.
    sequence_len: usize,
}

impl Terminal {
    /// A terminal of `rows` × `cols` (at most [`MAX_ROWS`] × [`MAX_LINE_WIDTH`]).
    pub fn new(rows: usize, cols: usize) -> Terminal {
        let mut terminal =
            Terminal::plain(rows.clamp(1, MAX_ROWS), Some(cols.clamp(1, MAX_LINE_WIDTH)));
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
            state: State::Text,
            params: String::new(),
            sequence_len: 0,
        }
    }

    /// Apply more output. An escape sequence cut between two pieces is applied once it is whole.
    pub fn feed(&mut self, output: &str) {
        for c in output.chars() {
            self.step(c);
        }
    }

    /// Apply one character of output.
    fn step(&mut self, c: char) {
        match self.state {
            State::Text if c == ESC => self.begin_escape(),
            State::Text => self.input(c),
            State::Escape => {
                self.state = State::Text;
                match c {
                    ESC => self.begin_escape(),
                    '[' => self.state = State::Control,
                    ']' | 'P' | 'X' | '^' | '_' => self.state = State::String,
                    ' '..='/' => self.state = State::EscapeIntermediate,
                    CAN | SUB => {}
                    c => self.escape(c),
                }
            }
            State::EscapeIntermediate => match c {
                ESC => self.begin_escape(),
                ' '..='/' if self.sequence_len < MAX_SEQUENCE => self.sequence_len += 1,
                ' '..='/' => {
                    self.state = State::Text;
                    self.input(c);
                }
                // The final character (or a cancel).
                _ => self.state = State::Text,
            },
            State::Control => match c {
                '@'..='~' => {
                    self.state = State::Text;
                    let params = std::mem::take(&mut self.params);
                    self.csi(&params, c);
                    self.params = params;
                }
                ESC => self.begin_escape(),
                CAN | SUB => self.state = State::Text,
                c if self.params.len() < MAX_SEQUENCE => self.params.push(c),
                c => {
                    self.state = State::Text;
                    self.input(c);
                }
            },
            State::String => match c {
                BEL | CAN | SUB => self.state = State::Text,
                // `ESC \` ends the string; the `\` then ends an escape sequence that does nothing.
                ESC => self.begin_escape(),
                _ if self.sequence_len < MAX_STRING => self.sequence_len += 1,
                c => {
                    self.state = State::Text;
                    self.input(c);
                }
            },
        }
    }

    fn begin_escape(&mut self) {
        self.state = State::Escape;
        self.params.clear();
        self.sequence_len = 0;
    }

    /// A character that is not part of an escape sequence.
    fn input(&mut self, c: char) {
        match &mut self.alt {
            Some(grid) => grid.input(c),
            None => self.main.input(c),
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
        for mode in modes.split(';').take(MAX_PARAMS).map(number) {
            match (mode, self.cols) {
                (1, _) => self.application_cursor_keys = on,
                (1049 | 1047 | 47, Some(cols)) => {
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

    /// How much the terminal stores, in cells (characters or room for one), counted afresh: the main screen's
    /// lines (with [`LINE_COST`] each), the alternate screen, and the control sequence in progress. For tests that
    /// check it stays bounded whatever the output.
    #[doc(hidden)]
    pub fn stored_cells(&self) -> usize {
        let main: usize = self.main.lines.iter().map(line_cost).sum();
        let alt: usize = self
            .alt
            .as_ref()
            .map_or(0, |grid| grid.cells.iter().map(Vec::capacity).sum());
        main + alt + self.params.capacity()
    }
}

/// The parameters of a control sequence: its numbers (a missing one is 0), the first, and the first as a count
/// (at least 1). Every number is at most [`MAX_PARAM`], and there are at most [`MAX_PARAMS`].
struct Params {
    numbers: Vec<usize>,
    first: usize,
    count: usize,
}

/// The parameters of a control sequence that may change text; `None` for private sequences (`ESC [ ? 25 h`,
/// ...), those with intermediate characters (`ESC [ 2 SP q`) and their like, which change modes, colours or ask
/// questions.
fn text_params(params: &str) -> Option<Params> {
    if params.starts_with(['?', '>', '=', '<']) || params.contains(|c| (' '..='/').contains(&c)) {
        return None;
    }
    let numbers: Vec<usize> = params.split(';').take(MAX_PARAMS).map(number).collect();
    let first = numbers.first().copied().unwrap_or(0);
    Some(Params {
        numbers,
        first,
        count: first.max(1),
    })
}

/// A parameter's number, at most [`MAX_PARAM`]; 0 when it is missing or not a number.
fn number(param: &str) -> usize {
    if param.is_empty() || !param.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    param.bytes().fold(0, |n, digit| {
        (n * 10 + usize::from(digit - b'0')).min(MAX_PARAM)
    })
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
    /// Forget the oldest lines beyond this many (`None`: keep every line, up to [`MAX_STORED_CELLS`]).
    kept_lines: Option<usize>,
    /// What `lines` stores, in cells (see [`line_cost`]).
    stored: usize,
}

/// What a line of the main screen stores, in cells: the characters it has room for, and [`LINE_COST`].
fn line_cost(line: &Vec<char>) -> usize {
    line.capacity() + LINE_COST
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
            stored: LINE_COST,
        }
    }

    /// The cursor's line (added, with the lines before it, if it is past the last).
    fn line(&mut self) -> &mut Vec<char> {
        while self.lines.len() <= self.row {
            self.lines.push(Vec::new());
            self.stored += LINE_COST;
        }
        let too_many = self
            .kept_lines
            .is_some_and(|kept| self.lines.len() > kept + kept / 4);
        if too_many || self.stored > MAX_STORED_CELLS {
            self.forget_oldest();
        }
        &mut self.lines[self.row]
    }

    /// Forget the oldest lines: down to the kept lines, and to three quarters of [`MAX_STORED_CELLS`]. In
    /// batches, so that forgetting costs little per line. The newest line always stays.
    fn forget_oldest(&mut self) {
        let mut forget = self
            .kept_lines
            .map_or(0, |kept| self.lines.len().saturating_sub(kept));
        let mut stored = self.stored - self.lines[..forget].iter().map(line_cost).sum::<usize>();
        while stored > MAX_STORED_CELLS / 4 * 3 && forget + 1 < self.lines.len() {
            stored -= line_cost(&self.lines[forget]);
            forget += 1;
        }
        self.lines.drain(..forget);
        self.stored = stored;
        self.row = self.row.saturating_sub(forget);
        self.saved.0 = self.saved.0.saturating_sub(forget);
    }

    /// Forget the lines from `len` on.
    fn truncate_lines(&mut self, len: usize) {
        if len < self.lines.len() {
            self.stored -= self.lines[len..].iter().map(line_cost).sum::<usize>();
            self.lines.truncate(len);
        }
    }

    fn input(&mut self, c: char) {
        match c {
            '\r' => self.col = 0,
            '\n' => self.newline(),
            '\u{8}' => self.col = self.col.saturating_sub(1),
            '\t' => {
                let next = ((self.col / 8 + 1) * 8).min(MAX_LINE_WIDTH);
                while self.col < next {
                    self.put(' ');
                }
            }
            c if c.is_control() => {}
            c => self.put(c),
        }
    }

    fn put(&mut self, c: char) {
        if self.col >= MAX_LINE_WIDTH {
            // The line is full: go on at the start of the next, as a terminal wraps at its width.
            self.newline();
        }
        let col = self.col;
        let line = self.line();
        let room = line.capacity();
        if col >= room {
            // Room grows by doubling, as usual, but not past the widest line.
            let wanted = (room * 2).clamp(col + 1, MAX_LINE_WIDTH.max(col + 1));
            line.reserve_exact(wanted - line.len());
        }
        if line.len() < col {
            line.resize(col, ' ');
        }
        if col < line.len() {
            line[col] = c;
        } else {
            line.push(c);
        }
        let grown = line.capacity() - room;
        self.stored += grown;
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

    /// The lowest line a cursor move reaches: the screen's last row, or the last line if it is further down. For a
    /// screen taller than [`MAX_PARAM`] rows (logs), the row that far from its top.
    fn bottom(&self) -> usize {
        let rows = self.rows.min(MAX_PARAM);
        (self.top() + rows - 1).max(self.lines.len().saturating_sub(1))
    }

    /// A control sequence `ESC [ params command`.
    fn csi(&mut self, params: &Params, command: char) {
        let (numbers, first, count) = (&params.numbers, params.first, params.count);
        let last_col = MAX_LINE_WIDTH - 1;
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
                    self.truncate_lines(self.row + 1);
                }
                1 => {}
                _ => {
                    // The whole screen: what scrolled off stays, as on a terminal with scrollback.
                    let top = self.top();
                    self.truncate_lines(top);
                    self.row = top;
                    self.col = 0;
                    self.line();
                }
            },
            'A' => self.row = self.row.saturating_sub(count).max(self.top()),
            'B' | 'E' => {
                self.row = (self.row + count).min(self.bottom()).max(self.row);
                if command == 'E' {
                    self.col = 0;
                }
                self.line();
            }
            'C' => self.col = (self.col + count).min(last_col),
            'D' => self.col = self.col.saturating_sub(count),
            'F' => {
                self.row = self.row.saturating_sub(count).max(self.top());
                self.col = 0;
            }
            'G' => self.col = (count - 1).min(last_col),
            'H' | 'f' => {
                let col = numbers.get(1).copied().unwrap_or(0).max(1) - 1;
                self.row = (self.top() + count - 1).min(self.bottom());
                self.col = col.min(last_col);
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
mod hostile;

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
