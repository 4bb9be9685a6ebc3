//! Who may do what where: role grants at a scope, and the team tree they inherit through.
//!
//! An assignment on the org applies everywhere in it; on a team, to that team, its
//! sub-teams and the stores that belong to any of them; on a store, to that store. The
//! services layer loads an actor's grants and the org's tree once per request and asks
//! `allows`; `services::access::authz::authorize` is the only caller.

use super::permission::Permission;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Where an assignment (or a request) points.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope_type", content = "scope_id", rename_all = "snake_case")]
pub enum ScopeRef {
    Org,
    Team(String),
    Store(String),
}

impl ScopeRef {
    pub fn kind(&self) -> &'static str {
        match self {
            ScopeRef::Org => "org",
            ScopeRef::Team(_) => "team",
            ScopeRef::Store(_) => "store",
        }
    }

    pub fn id(&self) -> Option<&str> {
        match self {
            ScopeRef::Org => None,
            ScopeRef::Team(id) | ScopeRef::Store(id) => Some(id),
        }
    }

    pub fn parse(kind: &str, id: Option<&str>) -> Result<ScopeRef, String> {
        match (kind, id) {
            ("org", _) => Ok(ScopeRef::Org),
            ("team", Some(id)) if !id.is_empty() => Ok(ScopeRef::Team(id.to_string())),
            ("store", Some(id)) if !id.is_empty() => Ok(ScopeRef::Store(id.to_string())),
            ("team" | "store", _) => Err(format!("A {kind} scope needs the {kind}'s id.")),
            _ => Err(format!("Unknown scope type \"{kind}\": use org, team or store.")),
        }
    }
}

/// What a request needs: to see what a scope holds, or a permission there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Any role at (or above) the scope lets one see it: the Viewer's right.
    View,
    Permission(Permission),
}

impl From<Permission> for Need {
    fn from(p: Permission) -> Self {
        Need::Permission(p)
    }
}

/// One role assignment, resolved to the permissions its role holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role_name: String,
    pub permissions: BTreeSet<Permission>,
    pub scope: ScopeRef,
}

/// The org's teams (child → parent) and which team each store belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgTree {
    pub team_parent: HashMap<String, Option<String>>,
    pub store_team: HashMap<String, Option<String>>,
}

impl OrgTree {
    /// The team and all its ancestors, nearest first. Stops on a cycle (which the services
    /// never let exist) rather than looping.
    pub fn team_and_ancestors(&self, team: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut current = Some(team.to_string());
        while let Some(t) = current {
            if !seen.insert(t.clone()) {
                break;
            }
            current = self.team_parent.get(&t).cloned().flatten();
            out.push(t);
        }
        out
    }

    /// Would making `new_parent` the parent of `team` create a cycle?
    pub fn would_cycle(&self, team: &str, new_parent: Option<&str>) -> bool {
        match new_parent {
            None => false,
            Some(p) => self.team_and_ancestors(p).iter().any(|t| t == team),
        }
    }

    /// Every team below `team` (not including it).
    pub fn descendants(&self, team: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut frontier = vec![team.to_string()];
        let mut seen: HashSet<String> = HashSet::from([team.to_string()]);
        while let Some(t) = frontier.pop() {
            for (child, parent) in &self.team_parent {
                if parent.as_deref() == Some(t.as_str()) && seen.insert(child.clone()) {
                    out.push(child.clone());
                    frontier.push(child.clone());
                }
            }
        }
        out
    }
}

/// Does `grant` reach `target`?
fn covers(grant: &ScopeRef, target: &ScopeRef, tree: &OrgTree) -> bool {
    match (grant, target) {
        (ScopeRef::Org, _) => true,
        (ScopeRef::Team(g), ScopeRef::Team(t)) => tree.team_and_ancestors(t).iter().any(|a| a == g),
        (ScopeRef::Team(g), ScopeRef::Store(s)) => match tree.store_team.get(s).cloned().flatten() {
            Some(team) => tree.team_and_ancestors(&team).iter().any(|a| a == g),
            None => false,
        },
        (ScopeRef::Store(g), ScopeRef::Store(s)) => g == s,
        _ => false,
    }
}

/// The single rule: some grant that reaches the target holds what is needed.
pub fn allows(grants: &[Grant], tree: &OrgTree, need: Need, target: &ScopeRef) -> bool {
    grants.iter().any(|g| {
        covers(&g.scope, target, tree)
            && match need {
                Need::View => true,
                Need::Permission(p) => g.permissions.contains(&p),
            }
    })
}

/// Whether the actor holds `need` anywhere at all (to show a navigation entry whose page
/// lists only what the actor may see).
pub fn allows_somewhere(grants: &[Grant], need: Need) -> bool {
    grants.iter().any(|g| match need {
        Need::View => true,
        Need::Permission(p) => g.permissions.contains(&p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn grant(perms: &[Permission], scope: ScopeRef) -> Grant {
        Grant { role_name: "r".into(), permissions: perms.iter().copied().collect(), scope }
    }

    fn tree() -> OrgTree {
        // eu ─┬─ eu-north ── eu-north-se
        //     └─ eu-south
        // us
        let mut t = OrgTree::default();
        t.team_parent.insert("eu".into(), None);
        t.team_parent.insert("eu-north".into(), Some("eu".into()));
        t.team_parent.insert("eu-north-se".into(), Some("eu-north".into()));
        t.team_parent.insert("eu-south".into(), Some("eu".into()));
        t.team_parent.insert("us".into(), None);
        t.store_team.insert("store-se".into(), Some("eu-north-se".into()));
        t.store_team.insert("store-us".into(), Some("us".into()));
        t.store_team.insert("store-none".into(), None);
        t
    }

    #[test]
    fn org_grant_reaches_everything() {
        let g = [grant(&[Permission::AuditRead], ScopeRef::Org)];
        for target in [ScopeRef::Org, ScopeRef::Team("us".into()), ScopeRef::Store("store-none".into())] {
            assert!(allows(&g, &tree(), Permission::AuditRead.into(), &target));
        }
        assert!(!allows(&g, &tree(), Permission::UsersManage.into(), &ScopeRef::Org));
    }

    #[test]
    fn team_grant_is_inherited_by_sub_teams_and_their_stores() {
        let g = [grant(&[Permission::StoresManage], ScopeRef::Team("eu".into()))];
        let t = tree();
        let p = Permission::StoresManage.into();
        assert!(allows(&g, &t, p, &ScopeRef::Team("eu-north-se".into())));
        assert!(allows(&g, &t, p, &ScopeRef::Store("store-se".into())));
        assert!(!allows(&g, &t, p, &ScopeRef::Team("us".into())));
        assert!(!allows(&g, &t, p, &ScopeRef::Store("store-us".into())));
        assert!(!allows(&g, &t, p, &ScopeRef::Store("store-none".into())));
        assert!(!allows(&g, &t, p, &ScopeRef::Org), "a team grant is not an org grant");
    }

    #[test]
    fn store_grant_reaches_only_its_store() {
        let g = [grant(&[], ScopeRef::Store("store-se".into()))];
        let t = tree();
        assert!(allows(&g, &t, Need::View, &ScopeRef::Store("store-se".into())));
        assert!(!allows(&g, &t, Need::View, &ScopeRef::Store("store-us".into())));
        assert!(!allows(&g, &t, Need::View, &ScopeRef::Team("eu-north-se".into())));
    }

    #[test]
    fn cycles_are_detected() {
        let t = tree();
        assert!(t.would_cycle("eu", Some("eu-north-se")));
        assert!(t.would_cycle("eu", Some("eu")));
        assert!(!t.would_cycle("eu-north-se", Some("us")));
        assert!(!t.would_cycle("eu", None));
        let mut d = t.descendants("eu");
        d.sort();
        assert_eq!(d, vec!["eu-north", "eu-north-se", "eu-south"]);
    }

    #[test]
    fn scope_parse() {
        assert_eq!(ScopeRef::parse("org", None), Ok(ScopeRef::Org));
        assert_eq!(ScopeRef::parse("team", Some("t1")), Ok(ScopeRef::Team("t1".into())));
        assert!(ScopeRef::parse("team", None).is_err());
        assert!(ScopeRef::parse("galaxy", Some("x")).is_err());
    }

    /// Random forests built by attaching each new team to an earlier one (or the root).
    fn arb_tree() -> impl Strategy<Value = OrgTree> {
        prop::collection::vec(prop::option::of(any::<prop::sample::Index>()), 1..30).prop_map(|parents| {
            let mut t = OrgTree::default();
            for (i, p) in parents.iter().enumerate() {
                let parent = if i == 0 { None } else { p.as_ref().map(|ix| format!("t{}", ix.index(i))) };
                t.team_parent.insert(format!("t{i}"), parent);
            }
            t
        })
    }

    proptest! {
        /// Applying only moves that `would_cycle` allows keeps every team reachable from a
        /// root: no cycle can ever form.
        #[test]
        fn allowed_moves_never_make_a_cycle(mut t in arb_tree(), moves in prop::collection::vec((any::<prop::sample::Index>(), prop::option::of(any::<prop::sample::Index>())), 0..40)) {
            let n = t.team_parent.len();
            for (team, parent) in moves {
                let team = format!("t{}", team.index(n));
                let parent = parent.map(|p| format!("t{}", p.index(n)));
                if !t.would_cycle(&team, parent.as_deref()) {
                    t.team_parent.insert(team, parent);
                }
            }
            for team in t.team_parent.keys() {
                let chain = t.team_and_ancestors(team);
                let root = chain.last().unwrap();
                prop_assert_eq!(t.team_parent.get(root).cloned().flatten(), None, "{} does not reach a root", team);
            }
        }

        /// A grant on a team reaches exactly the team and its descendants.
        #[test]
        fn team_grant_reach_equals_subtree(t in arb_tree(), pick in any::<prop::sample::Index>()) {
            let n = t.team_parent.len();
            let granted = format!("t{}", pick.index(n));
            let g = [grant(&[Permission::RulesManage], ScopeRef::Team(granted.clone()))];
            let mut subtree: HashSet<String> = t.descendants(&granted).into_iter().collect();
            subtree.insert(granted);
            for team in t.team_parent.keys() {
                prop_assert_eq!(
                    allows(&g, &t, Permission::RulesManage.into(), &ScopeRef::Team(team.clone())),
                    subtree.contains(team)
                );
            }
        }
    }
}
