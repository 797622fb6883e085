use airseal_finding::RuleCode;
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Which rules run, and which are ignored in which files.
///
/// `select` and `ignore` take codes or prefixes. The most specific selector wins, as in ruff:
/// `ignore = ["KEY"]` with `select = ["KEY901"]` keeps KEY901. On a tie, ignore wins.
#[derive(Debug, Clone)]
pub struct RuleSelection {
    select: Vec<String>,
    ignore: Vec<String>,
    per_file: Vec<Vec<String>>,
    per_file_globs: GlobSet,
}

impl RuleSelection {
    pub fn new(
        select: &[String],
        ignore: &[String],
        per_file_ignores: &[(String, Vec<String>)],
    ) -> Result<Self, globset::Error> {
        let select = if select.is_empty() {
            vec!["ALL".to_owned()]
        } else {
            select.to_vec()
        };
        let mut builder = GlobSetBuilder::new();
        let mut per_file = Vec::new();
        for (glob, selectors) in per_file_ignores {
            builder.add(Glob::new(glob)?);
            per_file.push(selectors.clone());
        }
        Ok(RuleSelection {
            select,
            ignore: ignore.to_vec(),
            per_file,
            per_file_globs: builder.build()?,
        })
    }

    /// Whether the rule runs at all.
    pub fn is_enabled(&self, code: &RuleCode) -> bool {
        let specificity = |selectors: &[String]| {
            selectors
                .iter()
                .filter(|s| code.matches_selector(s))
                .map(|s| if s == "ALL" { 0 } else { s.len() })
                .max()
        };
        match (specificity(&self.select), specificity(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(selected), Some(ignored)) => selected > ignored,
        }
    }

    /// Whether `per-file-ignores` silences the rule in `path` (relative to the scan root).
    pub fn is_ignored_in(&self, code: &RuleCode, path: &str) -> bool {
        if self.per_file.is_empty() {
            return false;
        }
        self.per_file_globs
            .matches(path)
            .into_iter()
            .any(|i| self.per_file[i].iter().any(|s| code.matches_selector(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> RuleCode {
        RuleCode::new(c).unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn most_specific_selector_wins() {
        let selection = RuleSelection::new(&strings(&["KEY901"]), &strings(&["KEY"]), &[]).unwrap();
        assert!(selection.is_enabled(&code("KEY901")));
        assert!(!selection.is_enabled(&code("KEY001")));
        let selection = RuleSelection::new(&[], &strings(&["KEY9"]), &[]).unwrap();
        assert!(!selection.is_enabled(&code("KEY901")));
        assert!(selection.is_enabled(&code("KEY001")));
        assert!(selection.is_enabled(&code("DAG001")));
    }

    #[test]
    fn per_file_ignores_match_globs() {
        let selection =
            RuleSelection::new(&[], &[], &[("tests/**".to_owned(), strings(&["KEY9"]))]).unwrap();
        assert!(selection.is_ignored_in(&code("KEY901"), "tests/unit/test_x.py"));
        assert!(!selection.is_ignored_in(&code("KEY001"), "tests/unit/test_x.py"));
        assert!(!selection.is_ignored_in(&code("KEY901"), "dags/x.py"));
    }
}
