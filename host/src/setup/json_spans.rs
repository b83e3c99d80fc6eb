//! Where each value of a JSON text sits, byte for byte, so that an edit can splice text
//! in and out and leave every other byte of the user's file as it was. Runs only on text
//! serde_json has already accepted, so it does not report errors, only `None`.

use std::ops::Range;

pub(super) enum Node {
    Object {
        span: Range<usize>,
        members: Vec<Member>,
    },
    Array {
        span: Range<usize>,
        items: Vec<Node>,
    },
    Scalar {
        span: Range<usize>,
    },
}

pub(super) struct Member {
    pub key: String,
    /// Bytes of the key string, quotes included.
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Node {
    pub(super) fn span(&self) -> Range<usize> {
        match self {
            Node::Object { span, .. } | Node::Array { span, .. } | Node::Scalar { span } => {
                span.clone()
            }
        }
    }

    /// The spans of the members (key to end of value) or elements, in order.
    pub(super) fn item_spans(&self) -> Vec<Range<usize>> {
        match self {
            Node::Object { members, .. } => members
                .iter()
                .map(|m| m.key_span.start..m.value.span().end)
                .collect(),
            Node::Array { items, .. } => items.iter().map(Node::span).collect(),
            Node::Scalar { .. } => Vec::new(),
        }
    }

    /// The member `key` of an object, with its index.
    pub(super) fn member(&self, key: &str) -> Option<(usize, &Member)> {
        match self {
            Node::Object { members, .. } => members.iter().enumerate().find(|(_, m)| m.key == key),
            _ => None,
        }
    }

    /// The value at `path`, following object keys.
    pub(super) fn at(&self, path: &[String]) -> Option<&Node> {
        match path.split_first() {
            None => Some(self),
            Some((key, rest)) => self.member(key)?.1.value.at(rest),
        }
    }

    pub(super) fn is_container(&self) -> bool {
        !matches!(self, Node::Scalar { .. })
    }
}

pub(super) fn parse(text: &str) -> Option<Node> {
    let mut p = Parser { text, i: 0 };
    p.ws();
    let node = p.value()?;
    p.ws();
    (p.i == text.len()).then_some(node)
}

struct Parser<'a> {
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn value(&mut self) -> Option<Node> {
        let start = self.i;
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key_start = self.i;
                        let key = self.string()?;
                        let key_span = key_start..self.i;
                        self.ws();
                        self.eat(b':').then_some(())?;
                        self.ws();
                        let value = self.value()?;
                        members.push(Member {
                            key,
                            key_span,
                            value,
                        });
                        self.ws();
                        if !self.eat(b',') {
                            self.eat(b'}').then_some(())?;
                            break;
                        }
                    }
                }
                Some(Node::Object {
                    span: start..self.i,
                    members,
                })
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if !self.eat(b']') {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        if !self.eat(b',') {
                            self.eat(b']').then_some(())?;
                            break;
                        }
                    }
                }
                Some(Node::Array {
                    span: start..self.i,
                    items,
                })
            }
            b'"' => {
                self.string()?;
                Some(Node::Scalar {
                    span: start..self.i,
                })
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                {
                    self.i += 1;
                }
                (self.i > start).then_some(Node::Scalar {
                    span: start..self.i,
                })
            }
        }
    }

    /// A string literal, decoded.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.eat(b'"').then_some(())?;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    break;
                }
                _ => self.i += 1,
            }
        }
        serde_json::from_str(self.text.get(start..self.i)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_exactly_their_values() {
        let text = "{ \"a\\\"b\" : [1, {\"c\": null}] ,\n \"d\":\"\\u00e9\" }";
        let root = parse(text).unwrap();
        let (_, a) = root.member("a\"b").unwrap();
        assert_eq!(&text[a.value.span()], "[1, {\"c\": null}]");
        assert_eq!(&text[a.key_span.clone()], "\"a\\\"b\"");
        let d = root.at(&["d".to_string()]).unwrap();
        assert_eq!(&text[d.span()], "\"\\u00e9\"");
        assert_eq!(root.item_spans().len(), 2);
        assert!(parse("{} x").is_none());
    }
}
