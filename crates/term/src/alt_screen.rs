//! xterm's alternate screen: the fixed grid of rows and columns full-screen programs (`vi`, `less`, `top`) draw on,
//! with its cursor, scrolling region, and line and character insertion and deletion. [`crate::Terminal`] shows it
//! instead of the main screen while a program uses it (`ESC [ ? 1049 h` until `ESC [ ? 1049 l`).

use crate::Params;
/// The alternate screen: `rows` lines of `cols` cells, a cursor, and a scrolling region.
pub(crate) struct Grid {
    pub(crate) cells: Vec<Vec<char>>,
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
    /// A blank grid; `rows` and `cols` are at least 1.
    pub(crate) fn new(rows: usize, cols: usize) -> Grid {
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

    pub(crate) fn input(&mut self, c: char) {
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

    /// The lines of the scrolling region move up `n`; blank lines come in at its bottom.
    fn scroll_up(&mut self, n: usize) {
        let region = &mut self.cells[self.top..=self.bottom];
        let n = n.min(region.len());
        region.rotate_left(n);
        let kept = region.len() - n;
        for line in &mut region[kept..] {
            line.fill(' ');
        }
    }

    /// The lines of the scrolling region move down `n`; blank lines come in at its top.
    fn scroll_down(&mut self, n: usize) {
        let region = &mut self.cells[self.top..=self.bottom];
        let n = n.min(region.len());
        region.rotate_right(n);
        for line in &mut region[..n] {
            line.fill(' ');
        }
    }

    pub(crate) fn escape(&mut self, c: char) {
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

    pub(crate) fn csi(&mut self, params: &Params, command: char) {
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
                // Blanks inserted at the cursor; what is pushed past the last column is lost.
                let line = &mut self.cells[self.row][self.col..];
                let n = count.min(line.len());
                line.rotate_right(n);
                line[..n].fill(' ');
            }
            'P' => {
                // Characters deleted at the cursor; blanks come in at the last column.
                let line = &mut self.cells[self.row][self.col..];
                let n = count.min(line.len());
                line.rotate_left(n);
                let kept = line.len() - n;
                line[kept..].fill(' ');
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
    pub(crate) fn shown(&self) -> (String, usize, usize) {
        let text = self
            .cells
            .iter()
            .map(|line| line.iter().collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        (text, self.row, self.col)
    }
}
