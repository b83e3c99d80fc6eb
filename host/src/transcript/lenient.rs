//! Lenient serde field types. Client formats drift between versions, so a field of an
//! unexpected JSON type reads as absent instead of failing the whole line.

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Skips the rest of a sequence or map so the outer parse can go on.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the scalar visits that mean "not what we wanted".
macro_rules! absent_scalars {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// A string field, borrowed from the line when it holds no escapes.
#[derive(Debug, Default)]
pub(crate) struct Str<'a>(pub Option<Cow<'a, str>>);

impl<'a> Str<'a> {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The value when present and not blank.
    pub fn non_empty(&self) -> Option<&str> {
        self.get().filter(|s| !s.trim().is_empty())
    }

    pub fn is(&self, want: &str) -> bool {
        self.get() == Some(want)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Some(Cow::Borrowed(v))))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Some(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Str(Some(Cow::Owned(v))))
    }

    absent_scalars!(Str(None));

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Str(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| Str(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor)
    }
}

/// A boolean field; anything but `true` reads as false.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Flag(pub bool);

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Flag(v))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Flag(false))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Flag(false))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Flag(false))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Flag(false))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Flag(false))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Flag(false))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| Flag(false))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

/// An object field parsed as `T`; any other JSON type reads as absent.
#[derive(Debug)]
pub(crate) struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

struct ObjVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|v| Obj(Some(v)))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }

    absent_scalars!(Obj(None));

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Obj(None))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(std::marker::PhantomData))
    }
}

/// One content part: a bare string, or an object with `type` and `text`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Part<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    #[serde(borrow)]
    pub text: Str<'a>,
}

/// A text-bearing field that clients write either as a string or as a list of parts
/// (message content, tool output, summaries). Positions are kept so that parallel
/// lists such as Codex `content_item_kinds` still line up.
#[derive(Debug, Default)]
pub(crate) struct Parts<'a>(pub Vec<Part<'a>>);

impl<'a> Parts<'a> {
    /// The non-blank texts joined by newlines; one part is moved, not copied.
    pub fn joined(self) -> Option<Cow<'a, str>> {
        let mut texts = self
            .0
            .into_iter()
            .filter_map(|p| p.text.0)
            .filter(|t| !t.trim().is_empty());
        let first = texts.next()?;
        match texts.next() {
            None => Some(first),
            Some(second) => {
                let mut all = first.into_owned();
                for t in std::iter::once(second).chain(texts) {
                    all.push('\n');
                    all.push_str(&t);
                }
                Some(Cow::Owned(all))
            }
        }
    }
}

struct PartVisitor;

impl<'de> Visitor<'de> for PartVisitor {
    type Value = Part<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(text_part(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(text_part(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(text_part(Cow::Owned(v)))
    }

    absent_scalars!(Part::default());

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Part::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Part::deserialize(MapAccessDeserializer::new(map))
    }
}

fn text_part(text: Cow<'_, str>) -> Part<'_> {
    Part {
        kind: Str(None),
        text: Str(Some(text)),
    }
}

/// Wrapper so a list element can be a string or an object without failing the list.
struct AnyPart<'a>(Part<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for AnyPart<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PartVisitor).map(AnyPart)
    }
}

struct PartsVisitor;

impl<'de> Visitor<'de> for PartsVisitor {
    type Value = Parts<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Parts(vec![text_part(Cow::Borrowed(v))]))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Parts(vec![text_part(Cow::Owned(v.to_owned()))]))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Parts(vec![text_part(Cow::Owned(v))]))
    }

    absent_scalars!(Parts::default());

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut parts = Vec::new();
        while let Some(AnyPart(p)) = seq.next_element()? {
            parts.push(p);
        }
        Ok(Parts(parts))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        PartVisitor.visit_map(map).map(|p| Parts(vec![p]))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Parts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PartsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Probe<'a> {
        #[serde(borrow)]
        s: Str<'a>,
        f: Flag,
        #[serde(borrow)]
        p: Parts<'a>,
        o: Obj<serde_json::Value>,
    }

    #[test]
    fn wrong_types_read_as_absent_instead_of_failing() {
        let p: Probe =
            serde_json::from_str(r#"{"s":[1,{"a":2}],"f":"yes","p":7,"o":"x"}"#).unwrap();
        assert!(p.s.get().is_none() && !p.f.0 && p.p.0.is_empty() && p.o.get().is_none());
    }

    #[test]
    fn parts_accept_strings_objects_and_mixed_lists() {
        let p: Probe =
            serde_json::from_str(r#"{"p":["a",{"type":"t","text":"b"},3,{"x":1}],"s":"q\""}"#)
                .unwrap();
        assert_eq!(p.p.0.len(), 4);
        assert_eq!(p.p.joined().as_deref(), Some("a\nb"));
        assert_eq!(p.s.get(), Some("q\""));
    }
}
