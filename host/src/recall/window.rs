//! Windows of messages around the hits of a session, and a budget of characters
//! over all of them, as the original tool's `--before/--after/--windows-per-session`
//! and `--budget-chars/--message-chars/--tool-message-chars`.

use serde::Serialize;

use super::search::SessionHits;
use super::store::{Store, StoreError, sql};
use super::tokens::BACKGROUND_FLAG;

/// Which windows to cut around a session's hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    /// Messages before each anchor.
    pub before: usize,
    /// Messages after each anchor.
    pub after: usize,
    /// Windows per session: the best hits that are not inside another's window.
    pub per_session: usize,
    /// Client-injected context counts as a message of the window.
    pub include_background: bool,
}

impl Default for WindowSpec {
    fn default() -> Self {
        WindowSpec {
            before: 3,
            after: 5,
            per_session: 2,
            include_background: false,
        }
    }
}

/// Caps on what windows print, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    /// All messages of all windows of all results together.
    pub budget_chars: usize,
    /// One message of a person or the agent.
    pub message_chars: usize,
    /// One tool call or tool output.
    pub tool_message_chars: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            budget_chars: 12_000,
            message_chars: 1200,
            tool_message_chars: 600,
        }
    }
}

impl Budget {
    /// The smallest values taken, as the original tool.
    pub const MIN_BUDGET: usize = 200;
    pub const MIN_MESSAGE: usize = 80;

    /// The same budget with each value raised to its minimum.
    pub fn at_least_minimums(self) -> Budget {
        Budget {
            budget_chars: self.budget_chars.max(Self::MIN_BUDGET),
            message_chars: self.message_chars.max(Self::MIN_MESSAGE),
            tool_message_chars: self.tool_message_chars.max(Self::MIN_MESSAGE),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowMessage {
    pub message_id: i64,
    pub role: String,
    pub tool_name: Option<String>,
    pub at_ms: Option<u64>,
    pub is_error: bool,
    pub text: String,
    /// The text was cut to its cap or to what was left of the budget.
    pub truncated: bool,
    /// This is the hit the window is cut around.
    pub anchor: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub anchor_message_id: i64,
    pub messages: Vec<WindowMessage>,
}

/// What the budget let through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BudgetUse {
    pub budget_chars: usize,
    pub used_chars: usize,
    /// Something was cut or left out to stay within the budget.
    pub truncated: bool,
}

struct Row {
    id: i64,
    role: String,
    tool_name: Option<String>,
    at_ms: Option<i64>,
    flags: i64,
}

impl Store {
    /// The windows around a search result's best hits: anchors taken best first,
    /// skipping any hit inside an earlier anchor's window, in session order.
    pub fn windows(&self, hit: &SessionHits, spec: &WindowSpec) -> Result<Vec<Window>, StoreError> {
        let rows = self.message_rows(hit.row, spec.include_background)?;
        let position = |id: i64| rows.iter().position(|r| r.id == id);
        let span = spec.before + spec.after + 1;
        let mut anchors: Vec<usize> = Vec::new();
        for id in &hit.matched_messages {
            if anchors.len() >= spec.per_session {
                break;
            }
            let Some(p) = position(*id) else { continue };
            if anchors.iter().all(|a| a.abs_diff(p) >= span) {
                anchors.push(p);
            }
        }
        anchors.sort_unstable();
        anchors
            .into_iter()
            .map(|p| {
                let from = p.saturating_sub(spec.before);
                let to = (p + spec.after + 1).min(rows.len());
                let messages = rows[from..to]
                    .iter()
                    .map(|r| self.window_message(r, r.id == rows[p].id))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Window {
                    anchor_message_id: rows[p].id,
                    messages,
                })
            })
            .collect()
    }

    fn message_rows(&self, session: i64, background: bool) -> Result<Vec<Row>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id, role, tool_name, at_ms, flags FROM messages
                 WHERE session = ?1 ORDER BY id",
            )
            .and_then(|mut st| {
                st.query_map([session], |r| {
                    Ok(Row {
                        id: r.get(0)?,
                        role: r.get(1)?,
                        tool_name: r.get(2)?,
                        at_ms: r.get(3)?,
                        flags: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<Row>>>()
            })
            .map(|rows| {
                rows.into_iter()
                    .filter(|r| background || r.flags & BACKGROUND_FLAG == 0)
                    .collect()
            })
            .map_err(sql("reading a session's messages"))
    }

    fn window_message(&self, r: &Row, anchor: bool) -> Result<WindowMessage, StoreError> {
        let text: String = self
            .conn
            .prepare_cached("SELECT text FROM messages WHERE id = ?1")
            .and_then(|mut st| st.query_row([r.id], |row| row.get(0)))
            .map_err(sql("reading a message"))?;
        Ok(WindowMessage {
            message_id: r.id,
            role: r.role.clone(),
            tool_name: r.tool_name.clone(),
            at_ms: r.at_ms.map(|v| v as u64),
            is_error: r.flags & 1 != 0,
            text,
            truncated: false,
            anchor,
        })
    }
}

fn is_tool(role: &str) -> bool {
    role.starts_with("tool")
}

/// Cuts a text longer than `cap` characters to its head and tail around a note.
pub fn cap_text(text: &str, cap: usize) -> Option<String> {
    let len = text.chars().count();
    if len <= cap {
        return None;
    }
    let head = (cap / 2).saturating_sub(20).max(20);
    let tail = cap.saturating_sub(head + 35).max(20);
    let start_tail = len.saturating_sub(tail);
    let h: String = text.chars().take(head).collect();
    let t: String = text.chars().skip(start_tail).collect();
    Some(format!(
        "{h}\n[… {} characters cut of {len} …]\n{t}",
        start_tail.saturating_sub(head)
    ))
}

/// Applies the per-message caps, then the budget, to every window in order: a message
/// that does not fit is left out, except the first of a window, which is cut to what
/// is left (at least 80 characters). Each message costs its text plus its role and 8.
pub fn apply_budget(windows: &mut [&mut Vec<Window>], budget: &Budget) -> BudgetUse {
    let b = budget.at_least_minimums();
    let mut used = 0usize;
    let mut truncated = false;
    for list in windows.iter_mut() {
        for w in list.iter_mut() {
            let mut kept = Vec::new();
            for (i, mut m) in std::mem::take(&mut w.messages).into_iter().enumerate() {
                if used >= b.budget_chars {
                    truncated = true;
                    break;
                }
                let cap = if is_tool(&m.role) {
                    b.tool_message_chars
                } else {
                    b.message_chars
                };
                if let Some(cut) = cap_text(&m.text, cap) {
                    m.text = cut;
                    m.truncated = true;
                }
                let cost = m.text.chars().count() + m.role.len() + 8;
                if used + cost > b.budget_chars {
                    truncated = true;
                    if i > 0 {
                        continue;
                    }
                    let room = b
                        .budget_chars
                        .saturating_sub(used)
                        .saturating_sub(40)
                        .max(Budget::MIN_MESSAGE);
                    m.text = m.text.chars().take(room).collect::<String>() + "…";
                    m.truncated = true;
                    used = b.budget_chars;
                } else {
                    used += cost;
                }
                kept.push(m);
            }
            w.messages = kept;
        }
        list.retain(|w| !w.messages.is_empty());
    }
    BudgetUse {
        budget_chars: b.budget_chars,
        used_chars: used.min(b.budget_chars),
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: i64, role: &str, text: &str) -> WindowMessage {
        WindowMessage {
            message_id: id,
            role: role.into(),
            tool_name: None,
            at_ms: None,
            is_error: false,
            text: text.into(),
            truncated: false,
            anchor: false,
        }
    }

    #[test]
    fn long_messages_keep_their_head_and_tail() {
        let text = format!("{}{}", "a".repeat(500), "z".repeat(500));
        let cut = cap_text(&text, 200).unwrap();
        assert!(
            cut.starts_with(&"a".repeat(80)) && cut.ends_with(&"z".repeat(85)),
            "{cut}"
        );
        assert!(cut.contains("characters cut of 1000"));
        assert_eq!(cap_text("short", 200), None);
    }

    #[test]
    fn the_budget_cuts_tool_text_first_and_stops_at_its_total() {
        let mut a = vec![Window {
            anchor_message_id: 1,
            messages: vec![
                msg(1, "user", &"u".repeat(300)),
                msg(2, "tool-output", &"t".repeat(300)),
            ],
        }];
        let mut b = vec![Window {
            anchor_message_id: 9,
            messages: vec![msg(9, "assistant", &"x".repeat(900))],
        }];
        let budget = Budget {
            budget_chars: 700,
            message_chars: 1000,
            tool_message_chars: 100,
        };
        let used = apply_budget(&mut [&mut a, &mut b], &budget);
        assert_eq!(a[0].messages.len(), 2);
        assert!(!a[0].messages[0].truncated && a[0].messages[1].truncated);
        // 300+4+8 and the cut tool text (about 100 + its note) leave room for a cut first message.
        assert_eq!(b.len(), 1);
        assert!(b[0].messages[0].truncated);
        assert_eq!(used.used_chars, 700);
        assert!(used.truncated);
    }
}
