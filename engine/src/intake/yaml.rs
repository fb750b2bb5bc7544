//! YAML to a located [`Node`] tree, with line and column on every value.
//!
//! Built on saphyr-parser's event stream rather than a serde deserializer: a deserializer stops at
//! the first problem and forgets positions, while a share pack deserves every finding at once.
//! Building the tree ourselves also lets us bound what hostile files can cost: nesting depth,
//! node count, and how far aliases may expand (the "billion laughs").

use super::node::{Entry, Node, TextKind, Value};
use crate::finding::Location;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// Bounds on what one YAML file may cost to read.
#[derive(Debug, Clone, Copy)]
pub struct YamlLimits {
    /// Deepest nesting of lists and mappings. A share pack needs about six.
    pub max_depth: usize,
    /// Values in the file, aliases expanded.
    pub max_nodes: usize,
    /// Values that aliases may add by repeating anchored ones.
    pub max_alias_nodes: usize,
}

impl Default for YamlLimits {
    fn default() -> Self {
        YamlLimits { max_depth: 32, max_nodes: 2_000_000, max_alias_nodes: 100_000 }
    }
}

/// Why a YAML file could not be turned into a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlError {
    /// Not well-formed YAML; a finding for the user to fix.
    Syntax { at: Location, message: String },
    /// Over one of [`YamlLimits`]; the file is refused.
    Limit { at: Location, message: String },
}

enum Frame {
    Seq { items: Vec<Node>, at: Location, anchor: usize },
    Map { entries: Vec<Entry>, key: Option<(String, Location)>, at: Location, anchor: usize },
}

struct Builder {
    limits: YamlLimits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
    alias_nodes: usize,
}

/// Parses one YAML document. `Ok(None)` for a file with no content.
pub fn parse(text: &str, limits: YamlLimits) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder { limits, stack: Vec::new(), anchors: HashMap::new(), root: None, nodes: 0, alias_nodes: 0 };
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| {
            let marker = error.marker();
            let at = position(marker.line(), marker.col());
            if error.info().contains("recursion limit") {
                // The scanner's own guard against flow nesting (`[[[[...`).
                YamlError::Limit { at, message: "lists and mappings are nested too deep; a share pack needs far fewer levels".into() }
            } else {
                YamlError::Syntax { at, message: error.info().to_string() }
            }
        })?;
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 && builder.root.is_some() {
                    return Err(YamlError::Syntax {
                        at: at(&span),
                        message: "the file holds more than one YAML document (a second `---`); a share pack is one document".into(),
                    });
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let kind = scalar_kind(&value, style, tag.is_some());
                let node = if kind.is_none() {
                    Node::new(Value::Null, at(&span))
                } else {
                    Node::text(value.into_owned(), kind.unwrap_or(TextKind::Plain), at(&span))
                };
                builder.count(1, &span)?;
                builder.remember(anchor, &node);
                builder.push(node)?;
            }
            Event::SequenceStart(anchor, _) => {
                builder.open(&span)?;
                builder.stack.push(Frame::Seq { items: Vec::new(), at: at(&span), anchor });
            }
            Event::MappingStart(anchor, _) => {
                builder.open(&span)?;
                builder.stack.push(Frame::Map { entries: Vec::new(), key: None, at: at(&span), anchor });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match builder.stack.pop() {
                    Some(Frame::Seq { items, at, anchor }) => (Node::new(Value::Seq(items), at), anchor),
                    Some(Frame::Map { entries, at, anchor, .. }) => (Node::new(Value::Map(entries), at), anchor),
                    None => continue,
                };
                builder.remember(anchor, &node);
                builder.push(node)?;
            }
            Event::Alias(id) => {
                let Some(node) = builder.anchors.get(&id).cloned() else {
                    return Err(YamlError::Syntax {
                        at: at(&span),
                        message: "an alias refers to an anchor that is not defined before it".into(),
                    });
                };
                let size = node.size();
                builder.alias_nodes += size;
                if builder.alias_nodes > builder.limits.max_alias_nodes {
                    return Err(YamlError::Limit {
                        at: at(&span),
                        message: format!(
                            "aliases (`*name`) expand to more than {} values; the file looks like an alias bomb and was not read",
                            builder.limits.max_alias_nodes
                        ),
                    });
                }
                builder.count(size, &span)?;
                builder.push(node)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    Ok(builder.root)
}

impl Builder {
    fn open(&mut self, span: &Span) -> Result<(), YamlError> {
        self.count(1, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError::Limit {
                at: at(span),
                message: format!("lists and mappings are nested more than {} deep; a share pack needs far fewer", self.limits.max_depth),
            });
        }
        Ok(())
    }

    fn count(&mut self, nodes: usize, span: &Span) -> Result<(), YamlError> {
        self.nodes += nodes;
        if self.nodes > self.limits.max_nodes {
            return Err(YamlError::Limit { at: at(span), message: format!("the file holds more than {} values", self.limits.max_nodes) });
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn push(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                self.root.get_or_insert(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((key, key_at)) => entries.push(Entry { key, key_at, value: node }),
                None => match node.value {
                    Value::Text(text) => *key = Some((text.text, node.at)),
                    Value::Null => *key = Some((String::new(), node.at)),
                    _ => {
                        return Err(YamlError::Syntax {
                            at: node.at,
                            message: "a mapping key is itself a list or mapping; share pack keys are plain words".into(),
                        })
                    }
                },
            },
        }
        Ok(())
    }
}

/// 1-based line and column from saphyr's 1-based line and 0-based column.
fn position(line: usize, col: usize) -> Location {
    Location::yaml("", u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col + 1).unwrap_or(u32::MAX))
}

fn at(span: &Span) -> Location {
    position(span.start.line(), span.start.col())
}

/// YAML 1.2 core schema for plain scalars; `None` means null.
fn scalar_kind(value: &str, style: ScalarStyle, tagged: bool) -> Option<TextKind> {
    if style != ScalarStyle::Plain || tagged {
        return Some(TextKind::Quoted);
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => None,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => Some(TextKind::Bool),
        _ if looks_numeric(value) => Some(TextKind::Number),
        _ => Some(TextKind::Plain),
    }
}

fn looks_numeric(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == 'E')
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && value.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        parse(text, YamlLimits::default()).expect("parses").expect("has content")
    }

    #[test]
    fn every_value_knows_its_line_and_column() {
        let root = tree("metadata:\n  requestor: ann@example.com\nrecipient:\n  - name: a\n    type: D2O\n");
        let Value::Map(entries) = &root.value else { panic!("map") };
        let Value::Map(metadata) = &entries[0].value.value else { panic!("map") };
        assert_eq!((metadata[0].value.at.line, metadata[0].value.at.column), (Some(2), Some(14)));
        let Value::Seq(recipients) = &entries[1].value.value else { panic!("seq") };
        let Value::Map(fields) = &recipients[0].value else { panic!("map") };
        assert_eq!(fields[1].key, "type");
        assert_eq!((fields[1].key_at.line, fields[1].key_at.column), (Some(5), Some(5)));
    }

    #[test]
    fn quoted_numbers_stay_text_and_plain_ones_do_not() {
        let root = tree("a: '12'\nb: 12\nc: true\nd: ~\n");
        let Value::Map(entries) = root.value else { panic!("map") };
        let kinds: Vec<_> = entries.iter().map(|entry| entry.value.kind_name()).collect();
        assert_eq!(kinds, ["text", "a number", "true/false", "nothing"]);
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = parse("metadata:\n  requestor: [unclosed\n", YamlLimits::default()).unwrap_err();
        let YamlError::Syntax { at, .. } = error else { panic!("syntax error expected") };
        assert!(at.line.is_some());
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let prev = (b'a' + level - 1) as char;
            let name = (b'a' + level) as char;
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let error = parse(&text, YamlLimits::default()).unwrap_err();
        assert!(matches!(error, YamlError::Limit { ref message, .. } if message.contains("alias")), "{error:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let error = parse(&text, YamlLimits::default()).unwrap_err();
        assert!(matches!(error, YamlError::Limit { ref message, .. } if message.contains("nested")), "{error:?}");
    }

    #[test]
    fn deep_block_nesting_is_refused() {
        let text: String = (0..100).map(|depth| format!("{}- \n", "  ".repeat(depth))).collect();
        let error = parse(&text, YamlLimits::default()).unwrap_err();
        assert!(matches!(error, YamlError::Limit { ref message, .. } if message.contains("nested")), "{error:?}");
    }

    #[test]
    fn modest_aliases_are_expanded() {
        let root = tree("base: &r [a, b]\nshare:\n  recipients: *r\n");
        let Value::Map(entries) = root.value else { panic!("map") };
        let Value::Map(share) = &entries[1].value.value else { panic!("map") };
        assert!(matches!(&share[0].value.value, Value::Seq(items) if items.len() == 2));
    }

    #[test]
    fn empty_file_has_no_tree() {
        assert_eq!(parse("# only a comment\n", YamlLimits::default()).unwrap(), None);
    }
}
