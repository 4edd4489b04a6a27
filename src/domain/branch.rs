//! The organization tree (city > town > village branch), loaded from `branches.toml`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use super::locale::Locale;
use super::text::{ShownTextProblem, check_shown_text, excerpt, excerpt_quotes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub id: String,
    pub name: String,
    /// Names in other locales; `name` is used where one is missing.
    pub names: BTreeMap<String, String>,
    pub parent_id: Option<String>,
}

impl Branch {
    pub fn name_in(&self, locale: Locale) -> &str {
        self.names
            .get(locale.code())
            .map(String::as_str)
            .unwrap_or(&self.name)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BranchError {
    #[error("{file}:{line}: {problem}")]
    Invalid {
        file: String,
        line: usize,
        problem: String,
    },
}

/// The whole tree, in file order.
#[derive(Debug, Clone, Default)]
pub struct BranchTree {
    branches: Vec<Branch>,
    index: HashMap<String, usize>,
    /// Parent id (None: the roots) -> positions of its children, in file order.
    children: HashMap<Option<String>, Vec<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBranch {
    id: toml::Spanned<String>,
    name: toml::Spanned<String>,
    #[serde(default)]
    names: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    branch: Vec<FileBranch>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BranchFile {
    #[serde(default)]
    branch: Vec<FileBranch>,
}

const MAX_ID_LEN: usize = 40;
/// The longest branch name a command may give.
pub const MAX_NAME_CHARS: usize = 60;

/// 1-40 ASCII letters, digits, '-', '_' or '.', starting with a letter or a digit (so not
/// `.` or `..`, which read as folders, nor `-...`, which reads as an option and is
/// `/branch_add`'s word for "no parent").
pub fn valid_branch_id(id: &str) -> bool {
    id.len() <= MAX_ID_LEN
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why an edit of the tree by command is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditProblem {
    BadId(String),
    BadName,
    /// A name with a direction control or a byte-order mark, or nothing visible.
    NameNotShown(ShownTextProblem),
    Exists(String),
    Unknown(String),
    HasBranches(String),
}

impl BranchTree {
    pub fn new(branches: Vec<Branch>) -> Self {
        let index = branches
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.clone(), i))
            .collect();
        let mut children: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        for (i, b) in branches.iter().enumerate() {
            children.entry(b.parent_id.clone()).or_default().push(i);
        }
        Self {
            branches,
            index,
            children,
        }
    }

    /// Parses `branches.toml`. `file` names the file in error messages.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, BranchError> {
        let invalid = |offset: usize, problem: String| BranchError::Invalid {
            file: file.to_string(),
            line: line_of(text, offset),
            problem,
        };
        let parsed: BranchFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            invalid(offset, excerpt_quotes(e.message().trim()))
        })?;
        let mut branches = Vec::new();
        let mut seen = HashSet::new();
        fn walk(
            list: Vec<FileBranch>,
            parent: Option<&str>,
            out: &mut Vec<Branch>,
            seen: &mut HashSet<String>,
            invalid: &dyn Fn(usize, String) -> BranchError,
        ) -> Result<(), BranchError> {
            for b in list {
                let offset = b.id.span().start;
                let id = b.id.into_inner();
                if !valid_branch_id(&id) {
                    return Err(invalid(
                        offset,
                        format!(
                            "branch id {:?} must be 1-{MAX_ID_LEN} ASCII letters, digits, '-', '_' or '.', starting with a letter or a digit",
                            excerpt(&id)
                        ),
                    ));
                }
                if b.name.get_ref().trim().is_empty() {
                    return Err(invalid(offset, format!("branch {id:?} has an empty name")));
                }
                let names = std::iter::once((None, &b.name))
                    .chain(b.names.iter().map(|(code, name)| (Some(code), name)));
                for (code, name) in names {
                    if let Some(code) = code
                        && Locale::from_code(code).is_none()
                    {
                        return Err(invalid(
                            name.span().start,
                            format!(
                                "branch {id:?}: unknown locale {:?} in names (use zh-CN, zh-TW or en)",
                                excerpt(code)
                            ),
                        ));
                    }
                    if let Err(problem) = check_shown_text(name.get_ref()) {
                        return Err(invalid(
                            name.span().start,
                            format!(
                                "branch {id:?}: the name {:?} {problem}",
                                excerpt(name.get_ref())
                            ),
                        ));
                    }
                }
                if !seen.insert(id.clone()) {
                    return Err(invalid(offset, format!("branch id {id:?} is used twice")));
                }
                out.push(Branch {
                    id: id.clone(),
                    name: b.name.get_ref().trim().to_string(),
                    names: b
                        .names
                        .into_iter()
                        .map(|(code, name)| (code, name.into_inner()))
                        .collect(),
                    parent_id: parent.map(str::to_string),
                });
                walk(b.branch, Some(&id), out, seen, invalid)?;
            }
            Ok(())
        }
        walk(parsed.branch, None, &mut branches, &mut seen, &invalid)?;
        if branches.is_empty() {
            return Err(invalid(
                0,
                "no branches: add at least one [[branch]] with id and name".into(),
            ));
        }
        Ok(Self::new(branches))
    }

    pub fn get(&self, id: &str) -> Option<&Branch> {
        self.index.get(id).map(|&i| &self.branches[i])
    }

    pub fn all(&self) -> &[Branch] {
        &self.branches
    }

    pub fn roots(&self) -> Vec<&Branch> {
        self.children_of(None)
    }

    pub fn children_of(&self, parent: Option<&str>) -> Vec<&Branch> {
        self.children
            .get(&parent.map(str::to_string))
            .map(|list| list.iter().map(|&i| &self.branches[i]).collect())
            .unwrap_or_default()
    }

    /// The ids of `id` and every branch under it (empty if there is no such branch).
    pub fn subtree(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.get(id).is_none() {
            return out;
        }
        let mut stack = vec![id.to_string()];
        while let Some(next) = stack.pop() {
            for child in self.children_of(Some(&next)) {
                stack.push(child.id.clone());
            }
            out.push(next);
        }
        out
    }

    /// Whether `id` is `ancestor` or lies under it.
    pub fn is_within(&self, id: &str, ancestor: &str) -> bool {
        let mut current = self.get(id);
        while let Some(b) = current {
            if b.id == ancestor {
                return true;
            }
            current = b.parent_id.as_deref().and_then(|p| self.get(p));
        }
        false
    }

    pub fn is_leaf(&self, id: &str) -> bool {
        self.children
            .get(&Some(id.to_string()))
            .is_none_or(Vec::is_empty)
    }

    /// A new branch under `parent` (a top-level branch when None), checked: a valid id not
    /// in use, an existing parent, a name of 1-60 characters on one line that is shown as
    /// it is written ([`check_shown_text`]).
    pub fn check_add(
        &self,
        id: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<Branch, EditProblem> {
        if !valid_branch_id(id) {
            return Err(EditProblem::BadId(id.to_string()));
        }
        if self.get(id).is_some() {
            return Err(EditProblem::Exists(id.to_string()));
        }
        if let Some(p) = parent
            && self.get(p).is_none()
        {
            return Err(EditProblem::Unknown(p.to_string()));
        }
        Ok(Branch {
            id: id.to_string(),
            name: check_name(name)?,
            names: BTreeMap::new(),
            parent_id: parent.map(str::to_string),
        })
    }

    /// The branch with a new name (in every language).
    pub fn check_rename(&self, id: &str, name: &str) -> Result<Branch, EditProblem> {
        let old = self
            .get(id)
            .ok_or_else(|| EditProblem::Unknown(id.to_string()))?;
        Ok(Branch {
            name: check_name(name)?,
            names: BTreeMap::new(),
            ..old.clone()
        })
    }

    /// A branch may be removed when no branch is under it (members are checked by the caller).
    pub fn check_remove(&self, id: &str) -> Result<(), EditProblem> {
        if self.get(id).is_none() {
            return Err(EditProblem::Unknown(id.to_string()));
        }
        if !self.is_leaf(id) {
            return Err(EditProblem::HasBranches(id.to_string()));
        }
        Ok(())
    }

    /// Names from the root down to the branch, e.g. `青山市 / 东湖镇 / 柳村党支部`.
    pub fn path(&self, id: &str, locale: Locale) -> String {
        let mut names = Vec::new();
        let mut current = self.get(id);
        while let Some(b) = current {
            names.push(b.name_in(locale).to_string());
            current = b.parent_id.as_deref().and_then(|p| self.get(p));
            if names.len() > self.branches.len() {
                break; // a cycle cannot come from a file, but never loop forever
            }
        }
        names.reverse();
        names.join(" / ")
    }
}

impl BranchTree {
    /// The branches a member may mean by `query`, typed as part of a name at any level
    /// ("柳村" finds 青山市 / 东湖镇 / 柳村党支部), in any locale's name: exact names first (and
    /// alone, when there are any), then names that start with the query, then names that
    /// contain it, each in the tree's order. A query of one Latin letter finds nothing.
    pub fn search(&self, query: &str) -> Vec<&Branch> {
        let q = search_form(query);
        let ascii_only = q.is_ascii();
        if q.is_empty() || (ascii_only && q.chars().count() < 2) {
            return Vec::new();
        }
        let mut ranked: Vec<(u8, usize, &Branch)> = Vec::new();
        for (order, b) in self.branches.iter().enumerate() {
            let rank = std::iter::once(b.name.as_str())
                .chain(b.names.values().map(String::as_str))
                .chain(std::iter::once(b.id.as_str()))
                .filter_map(|name| {
                    let n = search_form(name);
                    if n == q {
                        Some(0)
                    } else if n.starts_with(&q) {
                        Some(1)
                    } else if n.contains(&q) {
                        Some(2)
                    } else {
                        None
                    }
                })
                .min();
            if let Some(rank) = rank {
                ranked.push((rank, order, b));
            }
        }
        ranked.sort_by_key(|(rank, order, _)| (*rank, *order));
        if ranked.first().is_some_and(|(rank, _, _)| *rank == 0) {
            ranked.retain(|(rank, _, _)| *rank == 0);
        }
        ranked.into_iter().map(|(_, _, b)| b).collect()
    }
}

/// A name as searched: lower case, without spaces or punctuation.
fn search_form(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn check_name(name: &str) -> Result<String, EditProblem> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.contains(['\n', '\r']) {
        return Err(EditProblem::BadName);
    }
    check_shown_text(name).map_err(EditProblem::NameNotShown)?;
    Ok(name.to_string())
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[branch]]
id = "qs"
name = "青山市"
names = { en = "Qingshan City" }

  [[branch.branch]]
  id = "qs.dh"
  name = "东湖镇"

    [[branch.branch.branch]]
    id = "qs.dh.liu"
    name = "柳村党支部"

[[branch]]
id = "hx"
name = "河西区"
"#;

    #[test]
    fn subtrees_and_ancestry() {
        let t = BranchTree::from_toml("b.toml", SAMPLE).unwrap();
        let mut sub = t.subtree("qs");
        sub.sort();
        assert_eq!(sub, ["qs", "qs.dh", "qs.dh.liu"]);
        assert_eq!(t.subtree("hx"), ["hx"]);
        assert!(t.subtree("nope").is_empty());
        assert!(t.is_within("qs.dh.liu", "qs"));
        assert!(t.is_within("qs", "qs"));
        assert!(!t.is_within("qs", "qs.dh"));
        assert!(!t.is_within("hx", "qs"));
        assert!(!t.is_within("nope", "qs"));
    }

    #[test]
    fn branches_are_found_by_part_of_a_name_at_any_level() {
        let t = BranchTree::from_toml("b.toml", SAMPLE).unwrap();
        let ids = |q: &str| t.search(q).iter().map(|b| b.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids("柳村"), ["qs.dh.liu"]);
        assert_eq!(ids(" 柳村党支部 "), ["qs.dh.liu"]);
        assert_eq!(ids("东湖"), ["qs.dh"]);
        // An exact name stands alone; otherwise starts before contains, in tree order.
        assert_eq!(ids("青山市"), ["qs"]);
        assert_eq!(ids("qingshan city"), ["qs"]);
        assert_eq!(ids("Qingshan"), ["qs"]);
        assert_eq!(ids("市"), ["qs"]);
        assert_eq!(ids("村"), ["qs.dh.liu"]);
        assert_eq!(ids("区"), ["hx"]);
        assert!(ids("q").is_empty());
        assert!(ids("").is_empty());
        assert!(ids("北京").is_empty());
        let two = BranchTree::from_toml(
            "b.toml",
            "[[branch]]\nid = \"a\"\nname = \"桃花村\"\n[[branch]]\nid = \"b\"\nname = \"小桃花村\"\n",
        )
        .unwrap();
        let found: Vec<&str> = two.search("桃花").iter().map(|b| b.id.as_str()).collect();
        assert_eq!(found, ["a", "b"]);
    }

    #[test]
    fn parses_a_nested_tree() {
        let tree = BranchTree::from_toml("branches.toml", SAMPLE).unwrap();
        assert_eq!(tree.all().len(), 4);
        let roots: Vec<_> = tree.roots().iter().map(|b| b.id.as_str()).collect();
        assert_eq!(roots, ["qs", "hx"]);
        assert_eq!(tree.children_of(Some("qs"))[0].id, "qs.dh");
        assert!(tree.is_leaf("qs.dh.liu"));
        assert!(!tree.is_leaf("qs"));
        assert_eq!(
            tree.path("qs.dh.liu", Locale::ZhCn),
            "青山市 / 东湖镇 / 柳村党支部"
        );
        assert_eq!(tree.path("qs.dh", Locale::En), "Qingshan City / 东湖镇");
    }

    #[test]
    fn duplicate_ids_are_reported_with_their_line() {
        let text = "[[branch]]\nid = \"a\"\nname = \"A\"\n[[branch]]\nid = \"a\"\nname = \"B\"\n";
        let err = BranchTree::from_toml("b.toml", text).unwrap_err();
        assert_eq!(err.to_string(), "b.toml:5: branch id \"a\" is used twice");
    }

    #[test]
    fn syntax_errors_and_unknown_keys_are_reported() {
        let err = BranchTree::from_toml("b.toml", "[[branch]]\nid = \"a\"\nname = \n").unwrap_err();
        assert!(err.to_string().starts_with("b.toml:3: "), "{err}");
        let err = BranchTree::from_toml(
            "b.toml",
            "[[branch]]\nid = \"a\"\nname = \"A\"\ncolour = 1\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        let err = BranchTree::from_toml("b.toml", "").unwrap_err();
        assert!(err.to_string().contains("no branches"), "{err}");
    }

    #[test]
    fn ids_that_read_as_folders_or_options_are_refused() {
        for id in [
            "", ".", "..", "-", "-x", "--help", ".hidden", "_x", "a b", "村",
        ] {
            assert!(!valid_branch_id(id), "{id:?}");
        }
        for id in ["a", "7", "qingshan.donghu", "x-1_2.3", "A.b-"] {
            assert!(valid_branch_id(id), "{id:?}");
        }
        assert!(valid_branch_id(&"a".repeat(40)));
        assert!(!valid_branch_id(&"a".repeat(41)));
        let err =
            BranchTree::from_toml("b.toml", "[[branch]]\nid = \"..\"\nname = \"A\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.toml:2: branch id \"..\" must be 1-40 ASCII letters, digits, '-', '_' or '.', starting with a letter or a digit"
        );
    }

    #[test]
    fn file_names_that_hide_or_turn_text_are_refused_with_their_line() {
        let file = |name: &str, en: &str| {
            format!(
                "[[branch]]\nid = \"a\"\nname = \"甲\"\n  [[branch.branch]]\n  id = \"a.b\"\n  name = \"{name}\"\n  names = {{ en = \"{en}\" }}\n"
            )
        };
        assert!(BranchTree::from_toml("b.toml", &file("乙", "B")).is_ok());
        let err = BranchTree::from_toml("b.toml", &file("\u{202E}乙", "B")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.toml:6: branch \"a.b\": the name \"\\u{202e}乙\" contains a direction control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F or U+061C), which turns the text shown around it"
        );
        let err = BranchTree::from_toml("b.toml", &file("乙", "\u{200B}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.toml:7: branch \"a.b\": the name \"\\u{200b}\" has no visible character (only spaces, zero-width or combining characters)"
        );
        let err = BranchTree::from_toml("b.toml", &file("\u{FEFF}乙", "B")).unwrap_err();
        assert!(
            err.to_string().starts_with("b.toml:6: ")
                && err.to_string().contains("byte-order mark"),
            "{err}"
        );
        let long = "长".repeat(100);
        let err =
            BranchTree::from_toml("b.toml", &file(&format!("\u{200F}{long}"), "B")).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("\\u{{200f}}{}…\"", "长".repeat(39))),
            "{err}"
        );
    }

    #[test]
    fn edits_by_command_are_checked() {
        let tree = BranchTree::from_toml(
            "b.toml",
            "[[branch]]\nid = \"a\"\nname = \"甲\"\n  [[branch.branch]]\n  id = \"a.b\"\n  name = \"乙\"\n",
        )
        .unwrap();
        let added = tree.check_add("a.c", " 丙村 ", Some("a")).unwrap();
        assert_eq!(added.name, "丙村");
        assert_eq!(added.parent_id.as_deref(), Some("a"));
        assert!(tree.check_add("top", "顶", None).is_ok());
        assert_eq!(
            tree.check_add("a.b", "x", None),
            Err(EditProblem::Exists("a.b".into()))
        );
        assert_eq!(
            tree.check_add("A B", "x", None),
            Err(EditProblem::BadId("A B".into()))
        );
        assert_eq!(
            tree.check_add("x", "x", Some("nope")),
            Err(EditProblem::Unknown("nope".into()))
        );
        assert_eq!(tree.check_add("x", "  ", None), Err(EditProblem::BadName));
        assert_eq!(
            tree.check_add("x", &"长".repeat(61), None),
            Err(EditProblem::BadName)
        );
        assert_eq!(
            tree.check_add("x", "\u{202E}村", None),
            Err(EditProblem::NameNotShown(
                ShownTextProblem::DirectionControl
            ))
        );
        assert_eq!(
            tree.check_add("x", "\u{200B}\u{200C}", None),
            Err(EditProblem::NameNotShown(ShownTextProblem::NothingVisible))
        );
        for id in [".", "..", "-x"] {
            assert_eq!(
                tree.check_add(id, "村", None),
                Err(EditProblem::BadId(id.into()))
            );
        }
        assert_eq!(tree.check_rename("a.b", "新乙").unwrap().name, "新乙");
        assert_eq!(
            tree.check_rename("a.b", "\u{FEFF}新乙"),
            Err(EditProblem::NameNotShown(ShownTextProblem::ByteOrderMark))
        );
        assert_eq!(
            tree.check_remove("a"),
            Err(EditProblem::HasBranches("a".into()))
        );
        assert_eq!(tree.check_remove("a.b"), Ok(()));
        assert_eq!(
            tree.check_remove("zz"),
            Err(EditProblem::Unknown("zz".into()))
        );
    }
}
