//! The cooperative sticky assignor (`org.apache.kafka.clients.consumer.CooperativeStickyAssignor`,
//! protocol name "cooperative-sticky") and the eager `StickyAssignor` ("sticky").
//!
//! Both run the same engine (`sticky.rs`). They differ in two ways:
//!
//! * **Where ownership comes from.** The eager `StickyAssignor` revokes everything before
//!   rejoining, so it smuggles "what I had, in which generation" through the opaque
//!   `userData` bytes of its subscription. The cooperative assignor still *owns* its
//!   partitions while rejoining, so it reports them in the subscription's `ownedPartitions`
//!   field with the `generationId` (protocol v2+). This model carries both as
//!   `MemberSubscription::owned` / `generation`.
//!
//! * **adjustAssignment.** Under the cooperative protocol a partition may never be owned by two
//!   members at once, and members keep consuming while the rebalance runs. So when the sticky
//!   engine moves partition P from A to B, the leader *withholds* P from B in this round: A sees
//!   P missing from its new assignment and revokes it; once A has revoked anything, it rejoins,
//!   which triggers a follow-up rebalance in which P is unowned and goes to B. Two short
//!   rebalances instead of one stop-the-world.
//!
//!   The set of "transferring" partitions comes from the constrained builder directly
//!   (`partitionsTransferringOwnership`), or — after the general builder — is computed as
//!   partitions that some member gained while some member lost them
//!   (`computePartitionsTransferringOwnership`). A partition claimed by two members of the
//!   same generation counts as owned by both, so it is withheld too.
//!
//! `maxGeneration` note: Kafka keeps `maxGeneration` in the assignor *instance* and never
//! resets it, so a long-lived leader remembers the highest generation it ever saw. Generations
//! only grow, so recomputing it per call (as here) only differs if a leader later sees *only*
//! members older than some earlier round — not a state a real group reaches.

use super::{remove_first, sticky, AssignError, List, Prepared};

/// `CooperativeStickyAssignor.assignPartitions`: sticky assignment, then adjustAssignment.
pub(crate) fn assign(prepared: &Prepared<'_>) -> Result<Vec<Vec<u32>>, AssignError> {
    let sticky::StickyOutput {
        mut assignment,
        transferring,
    } = sticky::assign(prepared)?;
    let transferring = match transferring {
        Some(list) => list,
        None => compute_partitions_transferring_ownership(prepared, &assignment),
    };
    // adjustAssignment: withhold every partition changing hands from its new owner.
    for (g, m) in transferring {
        remove_first(&mut assignment[m], g);
    }
    Ok(assignment)
}

/// Partitions newly assigned to one member while revoked from another.
fn compute_partitions_transferring_ownership(
    prepared: &Prepared<'_>,
    assignment: &[Vec<u32>],
) -> Vec<(u32, usize)> {
    let total = prepared.topics.total();
    let mut added_to = List(vec![usize::MAX; total]);
    let mut revoked = List(vec![false; total]);
    // Per-member membership stamps instead of HashSets.
    let mut owned_stamp = List(vec![usize::MAX; total]);
    let mut assigned_stamp = List(vec![usize::MAX; total]);
    for (m, assigned) in assignment.iter().enumerate() {
        // `ownedPartitions` as the member sent them; partitions of topics outside this
        // assignment can never be "added", so they cannot transfer and are left out.
        let owned = &prepared.members[m].owned;
        for &g in owned {
            owned_stamp[g as usize] = m;
        }
        for &g in assigned {
            assigned_stamp[g as usize] = m;
            if owned_stamp[g as usize] != m {
                added_to[g as usize] = m;
            }
        }
        for &g in owned {
            if assigned_stamp[g as usize] != m {
                revoked[g as usize] = true;
            }
        }
    }
    (0..total as u32)
        .filter(|&g| revoked[g as usize] && added_to[g as usize] != usize::MAX)
        .map(|g| (g, added_to[g as usize]))
        .collect()
}
