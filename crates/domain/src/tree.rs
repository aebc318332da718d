//! Invariants of parent links in a tree (organisations, positions).

use std::collections::HashSet;
use std::hash::Hash;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("a node cannot be its own parent")]
    SelfParent,
    #[error("the new parent is a descendant of this node, which would make a cycle")]
    Cycle,
}

/// Checks that giving `node` the parent `new_parent` keeps the tree acyclic.
/// `parent_of` returns each existing node's current parent.
pub fn check_new_parent<Id, F>(node: Id, new_parent: Id, parent_of: F) -> Result<(), TreeError>
where
    Id: Copy + Eq + Hash,
    F: Fn(Id) -> Option<Id>,
{
    if node == new_parent {
        return Err(TreeError::SelfParent);
    }
    let mut seen = HashSet::new();
    let mut current = Some(new_parent);
    while let Some(id) = current {
        if id == node {
            return Err(TreeError::Cycle);
        }
        // A cycle that already exists elsewhere must not loop forever.
        if !seen.insert(id) {
            return Err(TreeError::Cycle);
        }
        current = parent_of(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parents() -> HashMap<u32, u32> {
        // 1 is the root; 2 and 3 under 1; 4 under 2; 5 under 4.
        HashMap::from([(2, 1), (3, 1), (4, 2), (5, 4)])
    }

    #[test]
    fn moving_to_a_sibling_is_fine() {
        let p = parents();
        assert_eq!(check_new_parent(4, 3, |id| p.get(&id).copied()), Ok(()));
    }

    #[test]
    fn moving_under_own_descendant_is_a_cycle() {
        let p = parents();
        assert_eq!(
            check_new_parent(2, 5, |id| p.get(&id).copied()),
            Err(TreeError::Cycle)
        );
    }

    #[test]
    fn own_parent_rejected() {
        let p = parents();
        assert_eq!(
            check_new_parent(3, 3, |id| p.get(&id).copied()),
            Err(TreeError::SelfParent)
        );
    }

    #[test]
    fn existing_loop_terminates() {
        let p = HashMap::from([(7, 8), (8, 7)]);
        assert_eq!(
            check_new_parent(1, 7, |id| p.get(&id).copied()),
            Err(TreeError::Cycle)
        );
    }
}
