//! Quick actions in issue descriptions and notes, as GitLab runs them: a line that starts
//! with `/command` (a known command name, any case) is removed from the stored text, except
//! inside ``` code fences, `>>>` quote blocks, HTML blocks and inline code spans, and then
//! executed if GitLab would make it available. On a new issue only the commands without a
//! "persisted" condition run (`/label`, `/assign`, `/milestone`, `/due`, `/confidential`,
//! `/weight`); `/close`, `/title`, `/unlabel`... are removed but do nothing until the issue
//! exists (description edits and notes).

use chrono::{Datelike, Duration, NaiveDate};

use crate::store::{Issue, MilestoneState, Store, access};

/// Command names GitLab strips from issue text (aliases included). `/cc` is a no-op
/// command that GitLab leaves in place, so it is not listed.
const COMMANDS: &[&str] = &[
    "add_child",
    "add_contacts",
    "add_email",
    "assign",
    "assign_reviewer",
    "award",
    "blocked_by",
    "blocks",
    "board_move",
    "checkin_reminder",
    "clear_health_status",
    "clear_weight",
    "clone",
    "close",
    "confidential",
    "convert_to_ticket",
    "copy_metadata",
    "create_merge_request",
    "done",
    "due",
    "duplicate",
    "epic",
    "escalate",
    "estimate",
    "estimate_time",
    "health_status",
    "invite_email",
    "iteration",
    "label",
    "labels",
    "lock",
    "milestone",
    "move",
    "page",
    "promote",
    "promote_to_incident",
    "publish",
    "q",
    "react",
    "reassign",
    "relabel",
    "relate",
    "remove_child",
    "remove_contacts",
    "remove_due_date",
    "remove_email",
    "remove_epic",
    "remove_estimate",
    "remove_iteration",
    "remove_label",
    "remove_milestone",
    "remove_parent",
    "remove_time_estimate",
    "remove_time_spent",
    "remove_zoom",
    "reopen",
    "request_review",
    "reviewer",
    "set_parent",
    "severity",
    "spend",
    "spend_time",
    "spent",
    "status",
    "subscribe",
    "tableflip",
    "shrug",
    "timeline",
    "title",
    "todo",
    "type",
    "unassign",
    "unassign_reviewer",
    "remove_reviewer",
    "unlabel",
    "unlock",
    "unrelate",
    "unsubscribe",
    "weight",
    "zoom",
];

const SHRUG: &str = "¯\\＿(ツ)＿/¯";
const TABLEFLIP: &str = "(╯°□°)╯︵ ┻━┻";

/// One command found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// Lowercased command name.
    pub(crate) name: String,
    /// The rest of its line (may be empty).
    pub(crate) arg: String,
}

/// Splits `text` into the text GitLab stores and the commands it found, in order.
pub(crate) fn extract(text: &str) -> (String, Vec<Command>) {
    let text = text.replace('\r', "");
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut commands = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let at_line_start = i == 0 || bytes[i - 1] == b'\n';
        let rest = &text[i..];
        if at_line_start {
            if let Some(end) = fenced_block(rest, "```")
                .or_else(|| fenced_block(rest, ">>>"))
                .or_else(|| html_block(rest))
            {
                out.push_str(&rest[..end]);
                i += end;
                continue;
            }
            if let Some((command, consumed, replacement)) = command_at(rest) {
                out.push_str(&replacement);
                if command.name != "shrug" && command.name != "tableflip" {
                    commands.push(command);
                }
                i += consumed;
                continue;
            }
        }
        if rest.starts_with('`')
            && let Some(end) = inline_code(rest)
        {
            out.push_str(&rest[..end]);
            i += end;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    (out.trim_end().to_owned(), commands)
}

/// A block opened by `marker` at line start and closed by a line that is exactly `marker`.
fn fenced_block(rest: &str, marker: &str) -> Option<usize> {
    if !rest.starts_with(marker) {
        return None;
    }
    let closing = format!("\n{marker}");
    let mut from = marker.len() + 1;
    while from <= rest.len() {
        let found = rest.get(from..)?.find(&closing)? + from;
        let end = found + closing.len();
        if end == rest.len() || rest.as_bytes()[end] == b'\n' {
            return Some(end);
        }
        from = found + 1;
    }
    None
}

/// `<tag>` alone on a line up to a line that is `</tag...>`.
fn html_block(rest: &str) -> Option<usize> {
    let first_line = rest.split('\n').next()?;
    let opens = first_line.starts_with('<') && first_line.ends_with('>') && first_line.len() > 2;
    if !(opens && rest.contains('\n')) {
        return None;
    }
    let mut offset = first_line.len() + 1;
    for line in rest[offset..].split('\n') {
        if line.starts_with("</") && line.ends_with('>') {
            return Some(offset + line.len());
        }
        offset += line.len() + 1;
    }
    None
}

/// A backtick span (may cross lines), at least one character inside.
fn inline_code(rest: &str) -> Option<usize> {
    let mut chars = rest.char_indices().skip(1);
    chars.next()?;
    chars.find(|(_, c)| *c == '`').map(|(index, _)| index + 1)
}

/// A command at line start: the command, bytes consumed, and what replaces it.
fn command_at(rest: &str) -> Option<(Command, usize, String)> {
    let body = rest.strip_prefix('/')?;
    let line_end = body.find('\n').unwrap_or(body.len());
    let line = &body[..line_end];
    let name_end = line.find(char::is_whitespace).unwrap_or(line.len());
    let name = line[..name_end].to_ascii_lowercase();
    if !COMMANDS.contains(&name.as_str()) {
        return None;
    }
    let after = &line[name_end..];
    let arg = if let Some(arg) = after.strip_prefix(' ') {
        arg.to_owned()
    } else if after.trim().is_empty() {
        String::new()
    } else {
        return None;
    };
    // `(?:\s*\n|$)`: swallow the whitespace after the command up to its last newline.
    let mut consumed = 1 + line_end;
    let tail = &rest[consumed..];
    let whitespace = tail.len() - tail.trim_start().len();
    if let Some(last_newline) = tail[..whitespace].rfind('\n') {
        consumed += last_newline + 1;
    }
    let replacement = match name.as_str() {
        "shrug" => format!("{} {SHRUG}\n", arg.trim_end()),
        "tableflip" => format!("{} {TABLEFLIP}\n", arg.trim_end()),
        _ => String::new(),
    };
    Some((
        Command {
            name,
            arg: arg.trim().to_owned(),
        },
        consumed,
        replacement,
    ))
}

/// Label titles in `~a ~"b c" d,e` form.
pub(crate) fn label_titles(arg: &str) -> Vec<String> {
    let mut titles = Vec::new();
    let mut chars = arg.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == ',' {
            chars.next();
            continue;
        }
        if c == '~' {
            chars.next();
        }
        let mut title = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            for inner in chars.by_ref() {
                if inner == '"' {
                    break;
                }
                title.push(inner);
            }
        } else {
            while let Some(&inner) = chars.peek() {
                if inner.is_whitespace() || inner == ',' {
                    break;
                }
                title.push(inner);
                chars.next();
            }
        }
        if !title.is_empty() {
            titles.push(title);
        }
    }
    titles
}

/// Usernames in `@a @b, c me` form (`me` is kept as is).
pub(crate) fn usernames(arg: &str) -> Vec<String> {
    arg.split(|c: char| c.is_whitespace() || c == ',')
        .map(|word| word.trim_start_matches('@'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A milestone title from `%title`, `%"a title"` or a bare title.
pub(crate) fn milestone_title(arg: &str) -> String {
    arg.trim()
        .trim_start_matches('%')
        .trim_matches('"')
        .to_owned()
}

/// A due date as `/due` understands it: ISO dates and a few of Chronic's phrases.
pub(crate) fn due_date(arg: &str, today: NaiveDate) -> Option<NaiveDate> {
    let arg = arg.trim().to_lowercase();
    if let Ok(date) = NaiveDate::parse_from_str(&arg, "%Y-%m-%d") {
        return Some(date);
    }
    match arg.as_str() {
        "today" => return Some(today),
        "tomorrow" => return Some(today + Duration::days(1)),
        "yesterday" => return Some(today - Duration::days(1)),
        "next week" => return Some(today + Duration::days(7)),
        _ => {}
    }
    let words: Vec<&str> = arg.split_whitespace().collect();
    if let ["in", count, unit] = words.as_slice() {
        let count: i64 = count.parse().ok()?;
        let days = match unit.trim_end_matches('s') {
            "day" => count,
            "week" => count * 7,
            _ => return None,
        };
        return Some(today + Duration::days(days));
    }
    None
}

fn label_reference(title: &str) -> String {
    if title.contains(char::is_whitespace) {
        format!("~\"{title}\"")
    } else {
        format!("~{title}")
    }
}

fn format_date(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {}, {}",
        MONTHS[date.month0() as usize],
        date.day(),
        date.year()
    )
}

/// What a set of commands changes, merged over the request's own parameters.
#[derive(Debug, Default, Clone)]
pub(crate) struct Updates {
    /// Labels to add (existing ones only).
    pub(crate) add_labels: Vec<String>,
    /// Labels to remove.
    pub(crate) remove_labels: Vec<String>,
    /// Replace all labels.
    pub(crate) set_labels: Option<Vec<String>>,
    /// New assignee list.
    pub(crate) assignee_ids: Option<Vec<u64>>,
    /// New milestone (`Some(None)` removes).
    pub(crate) milestone_id: Option<Option<u64>>,
    /// New due date (`Some(None)` removes).
    pub(crate) due_date: Option<Option<NaiveDate>>,
    /// `close` or `reopen`.
    pub(crate) state_event: Option<&'static str>,
    /// New title.
    pub(crate) title: Option<String>,
    /// Make confidential.
    pub(crate) confidential: Option<bool>,
    /// New weight (`Some(None)` clears).
    pub(crate) weight: Option<Option<u64>>,
    /// Lock or unlock discussion.
    pub(crate) discussion_locked: Option<bool>,
    /// GitLab's execution messages.
    pub(crate) messages: Vec<String>,
}

impl Updates {
    /// Whether any command had an effect.
    pub(crate) fn is_empty(&self) -> bool {
        self.add_labels.is_empty()
            && self.remove_labels.is_empty()
            && self.set_labels.is_none()
            && self.assignee_ids.is_none()
            && self.milestone_id.is_none()
            && self.due_date.is_none()
            && self.state_event.is_none()
            && self.title.is_none()
            && self.confidential.is_none()
            && self.weight.is_none()
            && self.discussion_locked.is_none()
    }
}

/// The issue the commands act on: `existing` is `None` while it is being created.
pub(crate) struct Target<'a> {
    /// Project of the issue.
    pub(crate) project_id: u64,
    /// Who wrote the commands.
    pub(crate) actor: u64,
    /// The stored issue, or `None` on creation.
    pub(crate) existing: Option<&'a Issue>,
    /// Labels the issue will carry before the commands (creation params or stored).
    pub(crate) labels: &'a [String],
    /// Assignees before the commands.
    pub(crate) assignee_ids: &'a [u64],
    /// Milestone before the commands.
    pub(crate) milestone_id: Option<u64>,
    /// Due date before the commands.
    pub(crate) due_date: Option<NaiveDate>,
    /// Confidential before the commands.
    pub(crate) confidential: bool,
    /// Discussion lock before the commands.
    pub(crate) discussion_locked: bool,
}

/// Runs `commands` against `target` with GitLab's availability rules.
pub(crate) fn execute(store: &Store, target: &Target<'_>, commands: &[Command]) -> Updates {
    let mut updates = Updates::default();
    let Some(project) = store.projects.get(&target.project_id) else {
        return updates;
    };
    let level = store.project_access(Some(target.actor), project);
    let persisted = target.existing.is_some();
    // `set_issue_metadata`: Planner on an existing issue, any member on a new one (see
    // `issues::create`).
    let can_admin = level
        >= if persisted {
            access::PLANNER
        } else {
            access::GUEST
        };
    let updateable = target
        .existing
        .is_some_and(|issue| can_admin || issue.author_id == target.actor);
    let project_labels = store.labels_for_project(project);
    let find_labels = |arg: &str| -> Vec<String> {
        label_titles(arg)
            .iter()
            .filter_map(|title| {
                project_labels
                    .iter()
                    .find(|label| &label.name == title)
                    .map(|label| label.name.clone())
            })
            .collect()
    };
    let find_users = |arg: &str| -> Vec<u64> {
        usernames(arg)
            .iter()
            .filter_map(|name| {
                if name == "me" {
                    Some(target.actor)
                } else {
                    store.user_by_username(name).map(|user| user.id)
                }
            })
            .collect()
    };
    let today = store.clock.today();
    let mut labels_now: Vec<String> = target.labels.to_vec();
    let mut assignees_now: Vec<u64> = target.assignee_ids.to_vec();
    let open = target
        .existing
        .is_none_or(|issue| issue.state == crate::store::IssueState::Opened);

    for command in commands {
        let arg = command.arg.as_str();
        match command.name.as_str() {
            "label" | "labels" if can_admin && !project_labels.is_empty() => {
                let found = find_labels(arg);
                if !found.is_empty() {
                    let references: Vec<String> =
                        found.iter().map(|title| label_reference(title)).collect();
                    updates.messages.push(format!(
                        "Added {} {}.",
                        references.join(" "),
                        if found.len() == 1 { "label" } else { "labels" }
                    ));
                    for title in found {
                        if !updates.add_labels.contains(&title) {
                            updates.add_labels.push(title.clone());
                        }
                        if !labels_now.contains(&title) {
                            labels_now.push(title);
                        }
                    }
                }
            }
            "unlabel" | "remove_label" if persisted && can_admin && !labels_now.is_empty() => {
                if arg.is_empty() {
                    updates.set_labels = Some(Vec::new());
                    labels_now.clear();
                    updates.messages.push("Removed all labels.".to_owned());
                } else {
                    let found = find_labels(arg);
                    labels_now.retain(|title| !found.contains(title));
                    updates.remove_labels.extend(found);
                }
            }
            "relabel" if persisted && can_admin && !labels_now.is_empty() => {
                let found = find_labels(arg);
                if !found.is_empty() {
                    labels_now = found.clone();
                    updates.set_labels = Some(found);
                }
            }
            "assign" if can_admin => {
                let users = find_users(arg);
                if !users.is_empty() {
                    for user in users {
                        if !assignees_now.contains(&user) {
                            assignees_now.push(user);
                        }
                    }
                    updates.assignee_ids = Some(assignees_now.clone());
                    updates.messages.push("Assigned users.".to_owned());
                }
            }
            "unassign" if persisted && can_admin && !assignees_now.is_empty() => {
                let users = find_users(arg);
                if users.is_empty() {
                    assignees_now.clear();
                } else {
                    assignees_now.retain(|user| !users.contains(user));
                }
                updates.assignee_ids = Some(assignees_now.clone());
            }
            "reassign" if persisted && can_admin => {
                assignees_now = find_users(arg);
                updates.assignee_ids = Some(assignees_now.clone());
            }
            "milestone" if can_admin => {
                let milestones = store.milestones_for_project(project);
                if milestones
                    .iter()
                    .any(|milestone| milestone.state == MilestoneState::Active)
                {
                    let title = milestone_title(arg);
                    if let Some(milestone) =
                        milestones.iter().find(|milestone| milestone.title == title)
                    {
                        updates.milestone_id = Some(Some(milestone.id));
                        updates
                            .messages
                            .push(format!("Set the milestone to %\"{}\".", milestone.title));
                    }
                }
            }
            "remove_milestone" if persisted && can_admin && target.milestone_id.is_some() => {
                updates.milestone_id = Some(None);
            }
            "due" if can_admin => match due_date(arg, today) {
                Some(date) => {
                    updates.due_date = Some(Some(date));
                    updates
                        .messages
                        .push(format!("Set the due date to {}.", format_date(date)));
                }
                None => updates
                    .messages
                    .push("Failed to set due date because the date format is invalid.".to_owned()),
            },
            "remove_due_date" if persisted && can_admin && target.due_date.is_some() => {
                updates.due_date = Some(None);
            }
            "confidential" if !target.confidential && (can_admin || !persisted) => {
                updates.confidential = Some(true);
                updates
                    .messages
                    .push("Made this issue confidential.".to_owned());
            }
            "weight" if can_admin => {
                if let Ok(weight) = arg.parse::<u64>() {
                    updates.weight = Some(Some(weight));
                    updates.messages.push(format!("Set weight to {weight}."));
                }
            }
            "clear_weight" if persisted && can_admin => {
                updates.weight = Some(None);
            }
            "close" if updateable && open => {
                updates.state_event = Some("close");
                updates.messages.push("Closed this issue.".to_owned());
            }
            "reopen" if updateable && !open => {
                updates.state_event = Some("reopen");
                updates.messages.push("Reopened this issue.".to_owned());
            }
            "title" if updateable && !arg.is_empty() => {
                updates.title = Some(arg.to_owned());
                updates
                    .messages
                    .push(format!("Changed the title to \"{arg}\"."));
            }
            "lock" if updateable && can_admin && !target.discussion_locked => {
                updates.discussion_locked = Some(true);
            }
            "unlock" if updateable && can_admin && target.discussion_locked => {
                updates.discussion_locked = Some(false);
            }
            _ => {}
        }
    }
    updates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> (String, Vec<String>) {
        let (clean, commands) = extract(text);
        (
            clean,
            commands.into_iter().map(|command| command.name).collect(),
        )
    }

    #[test]
    fn command_lines_are_removed() {
        let (clean, found) = names("Hello\n/label ~a ~\"b c\"\nWorld\n/close");
        assert_eq!(clean, "Hello\nWorld");
        assert_eq!(found, vec!["label", "close"]);
    }

    #[test]
    fn only_line_starts_count() {
        let (clean, found) = names("Hello /close\n /label ~a\n>/assign @x");
        assert_eq!(clean, "Hello /close\n /label ~a\n>/assign @x");
        assert!(found.is_empty());
    }

    #[test]
    fn code_and_quotes_are_left_alone() {
        let text = "```\n/close\n```\n>>>\n/label ~a\n>>>\nsee `x\n/due tomorrow\n`";
        let (clean, found) = names(text);
        assert_eq!(clean, text);
        assert!(found.is_empty());
    }

    #[test]
    fn unknown_and_noop_commands_stay() {
        let (clean, found) = names("/cc @bob\n/closed\n/frobnicate");
        assert_eq!(clean, "/cc @bob\n/closed\n/frobnicate");
        assert!(found.is_empty());
    }

    #[test]
    fn command_names_ignore_case_and_trailing_blank_lines() {
        let (clean, found) = names("/CLOSE\n\n\nrest");
        assert_eq!(clean, "rest");
        assert_eq!(found, vec!["close"]);
    }

    #[test]
    fn label_arguments() {
        assert_eq!(label_titles("~a ~\"b c\" d,~e"), vec!["a", "b c", "d", "e"]);
        assert_eq!(usernames("@alice, @bob me"), vec!["alice", "bob", "me"]);
        assert_eq!(milestone_title("%\"26.1 release\""), "26.1 release");
    }

    #[test]
    fn due_phrases() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(
            due_date("2026-12-01", today),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        assert_eq!(
            due_date("tomorrow", today),
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        assert_eq!(
            due_date("in 2 weeks", today),
            NaiveDate::from_ymd_opt(2026, 12, 4)
        );
        assert_eq!(due_date("someday", today), None);
    }
}
