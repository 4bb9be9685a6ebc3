//! Teams as the pages and the API see them, the rules for their names, and the tree order
//! the teams page draws them in. Pure: the services layer fills these from the database.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Longest team name, in characters (the column holds 200).
pub const TEAM_NAME_MAX: usize = 200;

/// One team, with what the viewer may do to it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    /// None: a top-level team.
    pub parent_team_id: Option<String>,
    /// People whose team this is (`users.team_id`), not counting sub-teams.
    pub member_count: u64,
    /// Direct sub-teams.
    pub sub_team_count: u64,
    /// Whether the viewer holds `teams.manage` at this team (rename, move, delete, add
    /// sub-teams). The server checks again on every change.
    pub can_manage: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of the org's teams.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamList {
    pub teams: Vec<TeamView>,
    /// Whether the viewer may create top-level teams (`teams.manage` at the org).
    pub can_create_top_level: bool,
    pub next_cursor: Option<String>,
}

/// A team's own page (`/org/teams/:id`): the team, the teams above it (top first), its
/// direct sub-teams and its people, and whether the viewer may read its spend.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamDetail {
    pub team: TeamView,
    pub ancestors: Vec<TeamView>,
    pub sub_teams: Vec<TeamView>,
    pub members: Vec<TeamMember>,
    /// `usage.read` at the team: its spend and quotas are shown.
    pub can_read_usage: bool,
}

/// One of the people whose team this is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamMember {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub status: String,
}

/// A team name: 1 to 200 characters once trimmed, no control characters.
pub fn check_team_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 {
        Err("Enter a name for the team.".into())
    } else if len > TEAM_NAME_MAX {
        Err(format!("Use at most {TEAM_NAME_MAX} characters."))
    } else if name.chars().any(char::is_control) {
        Err("Use letters, digits, spaces and punctuation only.".into())
    } else {
        Ok(())
    }
}

/// Two sibling teams may not share a name, compared this way (trimmed, case-insensitive).
pub fn same_team_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The teams in the order a tree is read: each top-level team followed by its sub-teams
/// (depth-first), siblings by name. Returns each team with its depth (0 = top level).
/// Teams whose parent is not in the list are treated as top-level, so a partial list
/// still shows every team once.
pub fn tree_order(teams: &[TeamView]) -> Vec<(TeamView, usize)> {
    let ids: std::collections::HashSet<&str> = teams.iter().map(|t| t.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&TeamView>> = HashMap::new();
    for t in teams {
        let parent = t.parent_team_id.as_deref().filter(|p| ids.contains(p) && *p != t.id);
        children.entry(parent).or_default().push(t);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.id.cmp(&b.id)));
    }
    let mut out = Vec::with_capacity(teams.len());
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(&TeamView, usize)> =
        children.get(&None).map(|v| v.iter().rev().map(|t| (*t, 0)).collect()).unwrap_or_default();
    while let Some((t, depth)) = stack.pop() {
        if !seen.insert(t.id.as_str()) {
            continue;
        }
        out.push((t.clone(), depth));
        if let Some(kids) = children.get(&Some(t.id.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    // A cycle (which the services never allow) would leave teams unreached: show them flat.
    for t in teams {
        if !seen.contains(t.id.as_str()) {
            out.push((t.clone(), 0));
        }
    }
    out
}

/// The team's path from the top ("EU / North / Sweden"), for selects.
pub fn team_path(teams: &[TeamView], id: &str) -> String {
    let by_id = parents(teams.iter().map(|t| (t.id.as_str(), t.name.as_str(), t.parent_team_id.as_deref())));
    path_in(&by_id, id)
}

/// Every team's path from the top, by id, from (id, name, parent id) triples.
pub fn team_paths<'a>(teams: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>) -> HashMap<String, String> {
    let by_id = parents(teams);
    by_id.keys().map(|id| (id.to_string(), path_in(&by_id, id))).collect()
}

type Parents<'a> = HashMap<&'a str, (&'a str, Option<&'a str>)>;

fn parents<'a>(teams: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>) -> Parents<'a> {
    teams.into_iter().map(|(id, name, parent)| (id, (name, parent))).collect()
}

/// Walks up from `id`: a parent missing from the list ends the path, a loop in the data
/// stops at the first repeat.
fn path_in(by_id: &Parents<'_>, id: &str) -> String {
    let mut parts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut current = by_id.get_key_value(id);
    while let Some((&t, &(name, parent))) = current {
        if !seen.insert(t) {
            break;
        }
        parts.push(name);
        current = parent.and_then(|p| by_id.get_key_value(p));
    }
    parts.reverse();
    parts.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: &str, name: &str, parent: Option<&str>) -> TeamView {
        TeamView {
            id: id.into(),
            name: name.into(),
            parent_team_id: parent.map(str::to_string),
            member_count: 0,
            sub_team_count: 0,
            can_manage: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn names() {
        assert!(check_team_name("Support EU").is_ok());
        assert!(check_team_name("   ").is_err());
        assert!(check_team_name(&"x".repeat(200)).is_ok());
        assert!(check_team_name(&"x".repeat(201)).is_err());
        assert!(check_team_name("a\u{7}b").is_err());
        assert!(same_team_name(" Support ", "support"));
        assert!(!same_team_name("Support", "Sales"));
    }

    #[test]
    fn tree_order_is_depth_first_with_sorted_siblings() {
        let teams = vec![
            team("3", "North", Some("1")),
            team("1", "EU", None),
            team("5", "Americas", None),
            team("4", "Sweden", Some("3")),
            team("2", "Iberia", Some("1")),
        ];
        let order: Vec<(String, usize)> = tree_order(&teams).into_iter().map(|(t, d)| (t.name, d)).collect();
        assert_eq!(
            order,
            vec![
                ("Americas".into(), 0),
                ("EU".into(), 0),
                ("Iberia".into(), 1),
                ("North".into(), 1),
                ("Sweden".into(), 2),
            ]
        );
        assert_eq!(team_path(&teams, "4"), "EU / North / Sweden");
    }

    #[test]
    fn tree_order_shows_every_team_once_even_with_missing_parents_or_cycles() {
        let teams = vec![team("a", "A", Some("missing")), team("b", "B", Some("c")), team("c", "C", Some("b"))];
        let order = tree_order(&teams);
        assert_eq!(order.len(), 3);
        assert_eq!(order[0].0.id, "a");
    }
}
