//! Tests that feed the terminal hostile output: random bytes, and escape sequences with huge numbers, too many
//! parameters or no end, whole or cut anywhere. Whatever it is fed, the terminal must not panic, must be quick,
//! and must keep what it stores under a bound that does not depend on the output.

use super::*;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use std::time::{Duration, Instant};

/// How long feeding one case may take (tests run unoptimized, so this is generous: it takes milliseconds).
const TIME_LIMIT: Duration = Duration::from_secs(2);

/// The kind of terminal a case is fed to.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// What the UI uses for logs and command output: `render(raw, usize::MAX)`.
    Log,
    /// `render(raw, rows)`.
    Plain(usize),
    /// What the UI uses for its terminal: `Terminal::new(rows, cols)`.
    Full(usize, usize),
}

impl Kind {
    fn terminal(self) -> Terminal {
        match self {
            Kind::Log => Terminal::plain(usize::MAX, None),
            Kind::Plain(rows) => Terminal::plain(rows, None),
            Kind::Full(rows, cols) => Terminal::new(rows, cols),
        }
    }

    /// The most a terminal of this kind may store, in cells, whatever it was fed.
    fn stored_limit(self) -> usize {
        let alt = match self {
            Kind::Full(rows, cols) => rows.clamp(1, MAX_ROWS) * cols.clamp(1, MAX_LINE_WIDTH),
            _ => 0,
        };
        // The main screen is brought back under its limit before each write, and a write adds at most a line's
        // room; the control sequence in progress is at most MAX_SEQUENCE bytes (and its room at most twice that).
        MAX_STORED_CELLS + 2 * MAX_LINE_WIDTH + LINE_COST + alt + 2 * MAX_SEQUENCE
    }
}

/// Feed `pieces` to a new terminal of `kind`, one after the other, and how long it took.
fn fed(kind: Kind, pieces: &[&str]) -> (Terminal, Duration) {
    let mut terminal = kind.terminal();
    let start = Instant::now();
    for piece in pieces {
        terminal.feed(piece);
    }
    (terminal, start.elapsed())
}

/// `raw` cut at the byte positions `cuts` (each moved back to the start of its character).
fn cut<'a>(raw: &'a str, cuts: &[Index]) -> Vec<&'a str> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|cut| {
            let mut i = cut.index(raw.len() + 1);
            while !raw.is_char_boundary(i) {
                i -= 1;
            }
            i
        })
        .collect();
    at.push(0);
    at.push(raw.len());
    at.sort_unstable();
    at.windows(2).map(|w| &raw[w[0]..w[1]]).collect()
}

/// What must hold of a terminal after any output: it took little time, it stores little, its own count of what
/// the main screen stores is right, and its cursor and lines are within the screen.
fn check_sane(kind: Kind, terminal: &Terminal, took: Duration) -> Result<(), TestCaseError> {
    prop_assert!(took < TIME_LIMIT, "took {took:?}");
    let stored = terminal.stored_cells();
    prop_assert!(
        stored <= kind.stored_limit(),
        "stores {stored} cells, more than {}",
        kind.stored_limit()
    );
    let counted: usize = terminal.main.lines.iter().map(line_cost).sum();
    prop_assert_eq!(terminal.main.stored, counted);
    let shown = terminal.rendered();
    let lines: Vec<&str> = shown.text.split('\n').collect();
    prop_assert!(
        shown.cursor_line < lines.len(),
        "cursor on line {}",
        shown.cursor_line
    );
    prop_assert!(
        shown.cursor_col <= MAX_LINE_WIDTH,
        "cursor in column {}",
        shown.cursor_col
    );
    for line in &lines {
        prop_assert!(line.chars().count() <= MAX_LINE_WIDTH);
    }
    if let Kind::Full(rows, _) = kind
        && terminal.alt.is_some()
    {
        prop_assert_eq!(lines.len(), rows.clamp(1, MAX_ROWS));
    }
    Ok(())
}

/// Feed `raw` whole and in the pieces `cuts` makes: both must be sane, and show the same.
fn check_feeding(kind: Kind, raw: &str, cuts: &[Index]) -> Result<(), TestCaseError> {
    let (whole, took) = fed(kind, &[raw]);
    check_sane(kind, &whole, took)?;
    let (pieces, took) = fed(kind, &cut(raw, cuts));
    check_sane(kind, &pieces, took)?;
    prop_assert_eq!(pieces.rendered(), whole.rendered());
    Ok(())
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Log),
        (1usize..50).prop_map(Kind::Plain),
        (1usize..60, 1usize..300).prop_map(|(rows, cols)| Kind::Full(rows, cols)),
    ]
}

/// A parameter: small, at the caps, huge, longer than any integer, or missing.
fn parameter() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..10).prop_map(|n| n.to_string()),
        (0usize..300).prop_map(|n| n.to_string()),
        select(vec![
            "9998",
            "9999",
            "10000",
            "65535",
            "400000000",
            "1000000000",
            "4294967296",
            "18446744073709551615",
            "340282366920938463463374607431768211455",
            "",
        ])
        .prop_map(String::from),
        "[0-9]{1,60}",
    ]
}

/// A piece of hostile output.
fn fragment() -> impl Strategy<Value = String> {
    let final_byte = (0x40u8..=0x7e).prop_map(char::from);
    prop_oneof![
        4 => "[a-zA-Z0-9 é漢]{0,40}",
        3 => select(vec![
            "\n", "\r", "\r\n", "\t", "\u{8}", "\u{7}", "\u{b}", "\u{c}", "\u{18}", "\u{1a}", "\u{1b}", "\u{9b}",
        ])
        .prop_map(String::from),
        3 => select(vec![
            "\u{1b}[?1049h", "\u{1b}[?1049l", "\u{1b}[?47h", "\u{1b}[?47l", "\u{1b}[?1047h", "\u{1b}[?1047l",
            "\u{1b}[?1;1049h", "\u{1b}[?1h", "\u{1b}c", "\u{1b}7", "\u{1b}8", "\u{1b}M", "\u{1b}D", "\u{1b}E",
            "\u{1b}(B", "\u{1b}#8", "\u{1b}[2J", "\u{1b}[H", "\u{1b}[s", "\u{1b}[u", "\u{1b}[J", "\u{1b}[K",
        ])
        .prop_map(String::from),
        // ESC [ <number> <final byte>, with or without a prefix and a second number, for every final byte.
        8 => (
            select(vec!["", "", "?", ">", "=", "<", " ", "!"]),
            parameter(),
            proptest::option::of(parameter()),
            final_byte.clone(),
        )
            .prop_map(|(prefix, first, second, last)| match second {
                Some(second) => format!("\u{1b}[{prefix}{first};{second}{last}"),
                None => format!("\u{1b}[{prefix}{first}{last}"),
            }),
        // ESC [ ? <number> h or l.
        2 => (parameter(), any::<bool>())
            .prop_map(|(mode, on)| format!("\u{1b}[?{mode}{}", if on { 'h' } else { 'l' })),
        // Scrolling regions.
        2 => (parameter(), parameter()).prop_map(|(top, bottom)| format!("\u{1b}[{top};{bottom}r")),
        // Many parameters.
        1 => (proptest::collection::vec(parameter(), 0..200), final_byte.clone())
            .prop_map(|(numbers, last)| format!("\u{1b}[{}{last}", numbers.join(";"))),
        // A control sequence about as long as the longest kept, or longer.
        1 => (MAX_SEQUENCE - 3..MAX_SEQUENCE + 3, final_byte)
            .prop_map(|(len, last)| format!("\u{1b}[{}{last}", "9".repeat(len))),
        // String sequences, short or about as long as the longest kept, ended or not.
        1 => (
            select(vec!["]", "]0;", "P", "_", "^", "X"]),
            prop_oneof![0usize..100, MAX_STRING - 3..MAX_STRING + 3],
            select(vec!["\u{7}", "\u{1b}\\", ""]),
        )
            .prop_map(|(start, len, end)| format!("\u{1b}{start}{}{end}", "t".repeat(len))),
        // Long lines.
        1 => (1usize..2 * MAX_LINE_WIDTH).prop_map(|len| "x".repeat(len)),
    ]
}

/// The characters random output is made of: mostly those that make up escape sequences.
fn output_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => select(vec![
            '\u{1b}', '[', ']', '?', ';', '0', '1', '4', '9', '9', '9', 'h', 'l', 'H', 'A', 'B', 'C', 'J', 'K', 'L',
            'M', 'P', 'X', '@', 'S', 'T', 'r', 's', 'u', '7', '8', '\\', '\u{7}', '\n', '\r', '\t', '\u{8}',
        ]),
        1 => any::<char>(),
    ]
}

proptest! {
    #[test]
    fn random_bytes_are_survived(
        kind in kind(),
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        check_feeding(kind, &String::from_utf8_lossy(&bytes), &cuts)?;
    }

    #[test]
    fn random_escape_characters_are_survived(
        kind in kind(),
        chars in proptest::collection::vec(output_char(), 0..4096),
        cuts in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        check_feeding(kind, &chars.into_iter().collect::<String>(), &cuts)?;
    }

    #[test]
    fn hostile_escape_sequences_are_survived(
        kind in kind(),
        fragments in proptest::collection::vec(fragment(), 0..64),
        cuts in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        check_feeding(kind, &fragments.concat(), &cuts)?;
    }
}

/// Feed `raw` to a terminal of `kind`; check it is sane and was quick.
fn survived(kind: Kind, raw: &str) -> Rendered {
    let (terminal, took) = fed(kind, &[raw]);
    if let Err(error) = check_sane(kind, &terminal, took) {
        panic!("{kind:?} fed {:?}: {error}", &raw[..raw.len().min(80)]);
    }
    terminal.rendered()
}

#[test]
fn a_huge_move_down_stops_at_the_bottom_of_the_screen() {
    // Used to make 400 million lines (some 6 GB) and abort.
    let raw = "a\u{1b}[400000000Bx";
    let shown = survived(Kind::Plain(24), raw);
    assert_eq!(shown.text, format!("a{} x", "\n".repeat(23)));
    assert_eq!((shown.cursor_line, shown.cursor_col), (23, 2));
    // Logs have no screen height: the move stops MAX_PARAM lines down.
    let shown = survived(Kind::Log, raw);
    assert_eq!(shown.text.lines().count(), MAX_PARAM);
    assert_eq!(shown.cursor_line, MAX_PARAM - 1);
    // The terminal's main screen is full: the cursor stays on its last line, as on a real terminal.
    let full = format!("{}{raw}", "line\r\n".repeat(40));
    let shown = survived(Kind::Full(30, 120), &full);
    assert_eq!(shown.text.lines().count(), 41);
    assert!(shown.text.ends_with("\nax"), "{}", shown.text);
    let shown = survived(Kind::Full(30, 120), &format!("\u{1b}[?1049h{raw}"));
    assert_eq!((shown.cursor_line, shown.cursor_col), (29, 2));
}

#[test]
fn a_huge_move_right_stops_at_the_widest_line() {
    // Used to pad the line to a billion spaces (some 4 GB, or 20 s of work).
    let raw = "a\u{1b}[1000000000Cxyz";
    for kind in [Kind::Log, Kind::Plain(24), Kind::Full(30, 120)] {
        let shown = survived(kind, raw);
        let lines: Vec<&str> = shown.text.lines().collect();
        assert_eq!(lines.len(), 2, "{kind:?}");
        assert_eq!(lines[0].chars().count(), MAX_LINE_WIDTH, "{kind:?}");
        assert!(
            lines[0].starts_with("a ") && lines[0].ends_with(" x"),
            "{kind:?}"
        );
        assert_eq!(lines[1], "yz", "{kind:?}");
        assert_eq!((shown.cursor_line, shown.cursor_col), (1, 2), "{kind:?}");
    }
    let shown = survived(Kind::Full(30, 120), &format!("\u{1b}[?1049h{raw}"));
    let lines: Vec<&str> = shown.text.lines().collect();
    assert_eq!(
        lines[..2],
        [format!("a{}x", " ".repeat(118)).as_str(), "yz"]
    );
}

#[test]
fn numbers_past_the_largest_count_as_the_largest() {
    assert_eq!(number("400000000"), MAX_PARAM);
    assert_eq!(number("340282366920938463463374607431768211456"), MAX_PARAM);
    assert_eq!(number("0042"), 42);
    assert_eq!(number(""), 0);
    assert_eq!(number("1:2"), 0);
    let many = format!("{}1", "7;".repeat(10 * MAX_PARAMS));
    let params = text_params(&many).map(|params| params.numbers.len());
    assert_eq!(params, Some(MAX_PARAMS));
    // A number too large to read moves as far as the largest, not as far as 0 (one line) as it used to.
    assert_eq!(
        shown_log("a\u{1b}[99999999999999999999999Bb")
            .lines()
            .count(),
        MAX_PARAM
    );
}

fn shown_log(raw: &str) -> String {
    survived(Kind::Log, raw).text
}

#[test]
fn sequences_too_long_are_dropped_and_what_follows_shows() {
    // A title that never ends hides MAX_STRING characters, no more.
    let title = format!("\u{1b}]0;{}", "t".repeat(MAX_STRING - 2));
    assert_eq!(shown_log(&format!("{title}shown")), "shown");
    // Ended in time, it hides nothing after it.
    assert_eq!(shown_log(&format!("{title}\u{7}shown")), "shown");
    // A control sequence longer than MAX_SEQUENCE is dropped; the rest of it shows.
    let long = format!("a\u{1b}[{}1;2Hb", "9".repeat(MAX_SEQUENCE));
    assert_eq!(shown_log(&long), "a1;2Hb");
    // Other string sequences (device control, ...) are dropped whole, however they are cut.
    assert_eq!(shown_log("a\u{1b}Pq#0;2;0;0;0#0~~@@\u{1b}\\b"), "ab");
    // An escape sequence that a new one interrupts is dropped.
    assert_eq!(shown_log("a\u{1b}[12\u{1b}[2Db"), "b");
}

#[test]
fn huge_counts_on_the_alternate_screen_cost_no_more_than_the_screen() {
    let lines = "\u{1b}[1;1Ha\u{1b}[2;1Hb\u{1b}[3;1Hc";
    for (sequence, expected) in [
        ("\u{1b}[2;1H\u{1b}[400000000L", "a\n\n"),
        ("\u{1b}[2;1H\u{1b}[400000000M", "a\n\n"),
        ("\u{1b}[400000000S", "\n\n"),
        ("\u{1b}[400000000T", "\n\n"),
        ("\u{1b}[1;1H\u{1b}[400000000@", "\nb\nc"),
        ("\u{1b}[1;1H\u{1b}[400000000P", "\nb\nc"),
        ("\u{1b}[1;1H\u{1b}[400000000X", "\nb\nc"),
        (
            "\u{1b}[400000000;400000000r\u{1b}[400000000;400000000Hz",
            "a\nb\nc   z",
        ),
        ("\u{1b}[1000000000G\u{1b}[1000000000dz", "a\nb\nc   z"),
    ] {
        let raw = format!("\u{1b}[?1049h{lines}{sequence}");
        assert_eq!(
            survived(Kind::Full(3, 5), &raw).text,
            expected,
            "{sequence:?}"
        );
    }
    // The largest terminal asked for is capped too.
    let mut terminal = Terminal::new(usize::MAX, usize::MAX);
    terminal.feed("\u{1b}[?1049h\u{1b}[400000000;400000000Hz");
    let shown = terminal.rendered();
    assert_eq!(
        (shown.cursor_line, shown.cursor_col),
        (MAX_ROWS - 1, MAX_LINE_WIDTH - 1)
    );
}

#[test]
fn what_the_main_screen_stores_stays_under_its_limit() {
    // Lines padded to the widest, then erased: the room they kept still counts.
    let padded = "\u{1b}[1000000000Cx\r\u{1b}[K\n".repeat(2 * MAX_STORED_CELLS / MAX_LINE_WIDTH);
    for kind in [Kind::Log, Kind::Full(30, 120)] {
        let (terminal, took) = fed(kind, &[&padded, "last"]);
        check_sane(kind, &terminal, took).expect("sane");
        assert!(terminal.rendered().text.ends_with("\n\nlast"));
    }
    // Plain lines of a log are all kept while they fit.
    let log: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
    assert_eq!(shown_log(&log), log);
}
