//! JSON array files (`[ {...}, {...} ]`, as many SaaS exports and APIs write them, pretty-printed or on one
//! line) read element by element: only the element being read is held, never the file. Several arrays one
//! after another (pages of an API dump) are read as one.
//!
//! As a table, each element is a row: an object whose keys are the columns (nested objects give dotted
//! columns, `properties.email`, as HubSpot's API writes contacts), the columns being every key of the file
//! in the order first seen. A missing key or a `null` is an empty cell; a number as written (a float with no
//! fraction as an integer, `1001.0` is `1001`); `true`/`false`; a list as its items joined with `|`. A
//! row's line is the line where its element starts.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::read::encoding::TextEncoding;

/// The largest element read (a row or a log record).
pub const MAX_ELEMENT: usize = 64 * 1024 * 1024;

/// An element of the array: where it starts (1-based line and column) and its JSON text.
pub struct Element<'a> {
    pub line: u64,
    pub column: u64,
    pub text: &'a [u8],
}

/// Where the file stops being a JSON array, and why (nothing after it can be read).
#[derive(Debug, PartialEq)]
pub struct Broken {
    pub line: u64,
    pub column: u64,
    pub reason: String,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Before the first `[` (or after a `]`: another array may follow).
    Outside,
    /// After `[` or `,`: an element, or `]`.
    Open,
    /// Inside an element.
    Value,
    /// After an element: `,` or `]`.
    After,
}

/// Whether the text starts (after whitespace and a byte-order mark) with `[` and then, after whitespace,
/// `{` or `]`: a JSON array of objects.
pub fn looks_like(sample: &[u8]) -> bool {
    let text = sample.strip_prefix(b"\xef\xbb\xbf").unwrap_or(sample);
    let mut rest = text.iter().copied().filter(|b| !b.is_ascii_whitespace());
    rest.next() == Some(b'[') && matches!(rest.next(), Some(b'{') | Some(b']'))
}

/// Calls `visit` with every element of the array(s) in `input`, in order. Reading stops at the first
/// place the text is not a JSON array (text outside it, a cut file), returned as `Ok(Some(Broken))`;
/// the first error `visit` returns is returned as it is.
pub fn for_each_element<E>(
    input: &mut dyn BufRead,
    io_error: &dyn Fn(std::io::Error) -> E,
    visit: &mut dyn FnMut(Element<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<Option<Broken>, E> {
    let mut state = State::Outside;
    let (mut line, mut column) = (1u64, 0u64);
    let mut element: Vec<u8> = Vec::new();
    let (mut start_line, mut start_column) = (0u64, 0u64);
    let (mut depth, mut in_string, mut escaped, mut scalar) = (0usize, false, false, false);
    let mut first = true;
    loop {
        let chunk = input.fill_buf().map_err(io_error)?;
        if chunk.is_empty() {
            break;
        }
        let mut chunk: &[u8] = chunk;
        let taken = chunk.len();
        if first {
            first = false;
            chunk = chunk.strip_prefix(b"\xef\xbb\xbf").unwrap_or(chunk);
        }
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            let broken = |reason: String| Ok(Some(Broken { line, column: column + 1, reason }));
            match state {
                State::Outside | State::After | State::Open if b.is_ascii_whitespace() => {}
                State::Outside if b == b'[' => state = State::Open,
                State::Outside => {
                    let what = if line == 1 && column == 0 { "not a JSON array: the file does not start with `[`" } else { "text after the JSON array's end" };
                    return broken(what.to_string());
                }
                State::After if b == b',' => state = State::Open,
                State::After | State::Open if b == b']' => state = State::Outside,
                State::After => return broken(format!("`,` or `]` expected after an element of the JSON array, found `{}`", b as char)),
                State::Open => {
                    (start_line, start_column) = (line, column + 1);
                    element.clear();
                    (depth, in_string, escaped, scalar) = match b {
                        b'{' | b'[' => (1, false, false, false),
                        b'"' => (0, true, false, false),
                        _ => (0, false, false, true),
                    };
                    element.push(b);
                    state = State::Value;
                }
                State::Value => {
                    if scalar && (b == b',' || b == b']' || b.is_ascii_whitespace()) {
                        visit(Element { line: start_line, column: start_column, text: &element })?;
                        state = State::After;
                        continue; // the byte ends the element and is read again after it
                    }
                    element.push(b);
                    if in_string {
                        if escaped {
                            escaped = false;
                        } else if b == b'\\' {
                            escaped = true;
                        } else if b == b'"' {
                            in_string = false;
                        }
                    } else if !scalar {
                        match b {
                            b'"' => in_string = true,
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' => depth -= 1,
                            _ => {}
                        }
                    }
                    if !scalar && !in_string && depth == 0 {
                        visit(Element { line: start_line, column: start_column, text: &element })?;
                        state = State::After;
                    } else if element.len() > MAX_ELEMENT {
                        return Ok(Some(Broken { line: start_line, column: start_column, reason: format!("an element larger than {} MiB", MAX_ELEMENT >> 20) }));
                    }
                }
            }
            if b == b'\n' {
                line += 1;
                column = 0;
            } else {
                column += 1;
            }
            i += 1;
        }
        input.consume(taken);
    }
    match state {
        State::Outside if line == 1 && column == 0 => Ok(Some(Broken { line: 1, column: 1, reason: "the file is empty (not a JSON array)".into() })),
        State::Outside => Ok(None),
        State::Value if scalar => {
            visit(Element { line: start_line, column: start_column, text: &element })?;
            Ok(Some(Broken { line, column: column + 1, reason: "the file ends inside the JSON array (cut short?)".into() }))
        }
        State::Value => Ok(Some(Broken { line: start_line, column: start_column, reason: "the file ends inside an element of the JSON array (cut short?)".into() })),
        State::Open | State::After => Ok(Some(Broken { line, column: column + 1, reason: "the file ends inside the JSON array (cut short?)".into() })),
    }
}

/// A JSON value with its objects' keys in the order written.
enum Node {
    Text(Option<String>),
    Object(Vec<(String, Node)>),
    List(Vec<Node>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Node, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Node, E> {
                Ok(Node::Text(Some(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Node, E> {
                Ok(Node::Text(Some(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Node, E> {
                Ok(Node::Text(Some(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Node, E> {
                Ok(Node::Text(Some(crate::read::parquet::float_text(v))))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Node, E> {
                Ok(Node::Text(Some(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Node, E> {
                Ok(Node::Text(Some(v)))
            }
            fn visit_unit<E>(self) -> std::result::Result<Node, E> {
                Ok(Node::Text(None))
            }
            fn visit_none<E>(self) -> std::result::Result<Node, E> {
                Ok(Node::Text(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Node>()? {
                    entries.push((key, value));
                }
                Ok(Node::Object(entries))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Node {
    /// The value as one cell: a list's items joined with `|`, an object (inside a list) as `key=value` pairs.
    fn text(&self) -> String {
        match self {
            Node::Text(t) => t.clone().unwrap_or_default(),
            Node::List(items) => items.iter().map(Node::text).collect::<Vec<_>>().join("|"),
            Node::Object(entries) => entries.iter().map(|(k, v)| format!("{k}={}", v.text())).collect::<Vec<_>>().join(";"),
        }
    }

    /// `(dotted key, cell)` for every value of an object, nested objects flattened.
    fn cells(self, prefix: &str, out: &mut Vec<(String, Option<String>)>) {
        if let Node::Object(entries) = self {
            for (key, value) in entries {
                let path = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
                match value {
                    Node::Object(_) => value.cells(&path, out),
                    Node::Text(t) => out.push((path, t)),
                    list => out.push((path, Some(list.text()))),
                }
            }
        }
    }
}

/// A JSON array file read as a table.
#[derive(Clone, Debug)]
pub struct JsonRows {
    path: PathBuf,
    encoding: TextEncoding,
    pub columns: Vec<String>,
}

impl JsonRows {
    /// Reads the file once for its columns (every key, in the order first seen).
    pub fn open(path: &Path, encoding: TextEncoding) -> Result<JsonRows> {
        let mut table = JsonRows { path: path.to_path_buf(), encoding, columns: Vec::new() };
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut columns = Vec::new();
        table.each_object(&mut |_, cells| {
            for (key, _) in cells {
                if !seen.contains(key.as_str()) {
                    seen.insert(key.clone());
                    columns.push(key.clone());
                }
            }
            Ok(())
        })?;
        if columns.is_empty() {
            return Err(Error::input(path, "the JSON array holds no object with a key (no columns)"));
        }
        table.columns = columns;
        Ok(table)
    }

    /// Every element as its `(dotted key, cell)` pairs, with its line.
    fn each_object(&self, visit: &mut dyn FnMut(u64, &[(String, Option<String>)]) -> Result<()>) -> Result<()> {
        let mut input = crate::read::input::open_encoded(&self.path, self.encoding, &indicatif::ProgressBar::hidden())?;
        let mut cells = Vec::new();
        let io_error = |source| Error::Read { path: self.path.clone(), source };
        let broken = for_each_element(&mut input, &io_error, &mut |element| {
            let node: Node = serde_json::from_slice(element.text).map_err(|e| {
                let line = element.line + e.line().max(1) as u64 - 1;
                let column = if e.line() <= 1 { element.column + e.column() as u64 - 1 } else { e.column() as u64 };
                // serde's own place is within the element; the file's place is given before the message.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                Error::input_at(&self.path, line, column, format!("invalid JSON: {message}"))
            })?;
            if !matches!(node, Node::Object(_)) {
                return Err(Error::input_at(&self.path, element.line, element.column, "an element of the array is not a JSON object (a row needs keys)"));
            }
            cells.clear();
            node.cells("", &mut cells);
            for (i, (key, _)) in cells.iter().enumerate() {
                if cells[..i].iter().any(|(k, _)| k == key) {
                    return Err(Error::input_at(&self.path, element.line, element.column, format!("key `{key}` appears twice in this object")));
                }
            }
            visit(element.line, &cells)
        })?;
        match broken {
            Some(b) => Err(Error::input_at(&self.path, b.line, b.column, b.reason)),
            None => Ok(()),
        }
    }

    /// Calls `visit` with every element's line and its cells (one per column, empty where the key is
    /// missing or null), in file order.
    pub fn for_each_row(&self, mut visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<()> {
        let index: std::collections::HashMap<&str, usize> = self.columns.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut values: Vec<Option<String>> = vec![None; self.columns.len()];
        let mut record = csv::StringRecord::new();
        self.each_object(&mut |line, cells| {
            values.iter_mut().for_each(|v| *v = None);
            for (key, value) in cells {
                let Some(i) = index.get(key.as_str()) else {
                    return Err(Error::input_at(&self.path, line, 1, format!("key `{key}` is not among the columns read when the file was opened (has the file changed?)")));
                };
                values[*i] = value.clone();
            }
            record.clear();
            values.iter().for_each(|v| record.push_field(v.as_deref().unwrap_or("")));
            visit(line, &record)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn elements(text: &str) -> (Vec<(u64, u64, String)>, Option<Broken>) {
        let mut out = Vec::new();
        let broken = for_each_element(&mut std::io::BufReader::with_capacity(3, text.as_bytes()), &|e: std::io::Error| e, &mut |e| {
            out.push((e.line, e.column, String::from_utf8(e.text.to_vec()).unwrap()));
            Ok(())
        })
        .unwrap();
        (out, broken)
    }

    #[test]
    fn elements_pretty_printed_on_one_line_and_in_pages() {
        let (out, broken) = elements("\u{feff}[\n  {\"a\": \"]},\\\"\"},\n  {\"b\": [1, {\"c\": null}]}\n]\n");
        assert_eq!(out, [(2, 3, "{\"a\": \"]},\\\"\"}".to_string()), (3, 3, "{\"b\": [1, {\"c\": null}]}".to_string())]);
        assert_eq!(broken, None);
        let (out, broken) = elements("[{\"a\":1},{\"a\":2}][{\"a\":3}]");
        assert_eq!(out.iter().map(|e| e.2.as_str()).collect::<Vec<_>>(), ["{\"a\":1}", "{\"a\":2}", "{\"a\":3}"]);
        assert_eq!(broken, None);
        let (out, _) = elements("[1, \"x\", true]");
        assert_eq!(out.iter().map(|e| e.2.as_str()).collect::<Vec<_>>(), ["1", "\"x\"", "true"]);
    }

    #[test]
    fn where_the_array_breaks_is_said() {
        let (out, broken) = elements("[{\"a\":1},\n{\"a\":");
        assert_eq!(out.len(), 1);
        assert_eq!(broken.unwrap(), Broken { line: 2, column: 1, reason: "the file ends inside an element of the JSON array (cut short?)".into() });
        let (_, broken) = elements("{\"a\":1}\n");
        assert_eq!(broken.unwrap().reason, "not a JSON array: the file does not start with `[`");
        let (out, broken) = elements("[{\"a\":1} {\"a\":2}]");
        assert_eq!(out.len(), 1);
        assert_eq!(broken.unwrap(), Broken { line: 1, column: 10, reason: "`,` or `]` expected after an element of the JSON array, found `{`".into() });
        let (_, broken) = elements("[{\"a\":1}]\nDONE\n");
        assert_eq!(broken.unwrap(), Broken { line: 2, column: 1, reason: "text after the JSON array's end".into() });
        assert!(elements("").1.unwrap().reason.contains("empty"));
    }

    #[test]
    fn a_table_has_every_key_as_a_column_and_nulls_are_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contacts.json");
        std::fs::write(
            &path,
            r#"[
  {"id": 1001, "properties": {"email": "ann@example.com", "firstname": "Ann"}, "score": 2.0},
  {"id": "1002", "properties": {"email": null, "phone": "+1 415"}, "tags": ["a", "b"], "vip": true}
]"#,
        )
        .unwrap();
        let table = JsonRows::open(&path, TextEncoding::UTF8).unwrap();
        assert_eq!(table.columns, ["id", "properties.email", "properties.firstname", "score", "properties.phone", "tags", "vip"]);
        let mut rows = Vec::new();
        table
            .for_each_row(|line, row| {
                rows.push((line, row.iter().map(str::to_string).collect::<Vec<_>>()));
                Ok(())
            })
            .unwrap();
        let cells = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(rows, [(2, cells(&["1001", "ann@example.com", "Ann", "2", "", "", ""])), (3, cells(&["1002", "", "", "", "+1 415", "a|b", "true"]))]);
    }

    #[test]
    fn an_element_that_is_not_an_object_or_not_json_is_an_error_at_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, "[\n {\"id\": 1},\n 7\n]").unwrap();
        let message = JsonRows::open(&path, TextEncoding::UTF8).unwrap_err().to_string();
        assert!(message.ends_with("t.json:3:2: an element of the array is not a JSON object (a row needs keys)"), "{message}");
        std::fs::write(&path, "[\n {\"id\": 1},\n {\"id\": tru}\n]").unwrap();
        let message = JsonRows::open(&path, TextEncoding::UTF8).unwrap_err().to_string();
        assert!(message.contains("t.json:3:"), "{message}");
        assert!(message.contains("invalid JSON"), "{message}");
    }

    proptest! {
        /// However the file is cut into reads, and however it is spaced, the elements are the same.
        #[test]
        fn elements_do_not_depend_on_reads_or_spacing(values in proptest::collection::vec(("[a-z\"\\\\{}\\[\\], ]{0,8}", 0u32..1000), 0..12), space in "[ \n\t]{0,3}", read in 1usize..16) {
            let objects: Vec<String> = values.iter().map(|(s, n)| serde_json::json!({"s": s, "n": n, "l": [n]}).to_string()).collect();
            let text = format!("[{space}{}{space}]", objects.join(&format!(",{space}")));
            let mut out = Vec::new();
            let broken = for_each_element(&mut std::io::BufReader::with_capacity(read, text.as_bytes()), &|e: std::io::Error| e, &mut |e| {
                out.push(String::from_utf8(e.text.to_vec()).unwrap());
                Ok(())
            }).unwrap();
            prop_assert_eq!(broken, None);
            prop_assert_eq!(out, objects);
        }
    }
}
