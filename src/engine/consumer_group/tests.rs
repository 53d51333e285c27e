//! The coordinator's consumer-protocol rules on a group alone (no engine).

use super::*;

fn tp(p: u32) -> TopicPartition {
    TopicPartition::new("t", p)
}

struct World {
    topics: BTreeMap<String, u32>,
    assignors: Vec<ServerAssignorKind>,
    now_ms: u64,
    ids: u32,
}

impl World {
    fn new(partitions: u32) -> World {
        World {
            topics: [("t".to_string(), partitions)].into_iter().collect(),
            assignors: vec![ServerAssignorKind::Uniform, ServerAssignorKind::Range],
            now_ms: 0,
            ids: 0,
        }
    }

    /// What the coordinator is told for the next request (a new member
    /// would be called `{prefix}{n}`).
    fn ctx(&mut self, prefix: &str) -> ModernCtx<'_> {
        self.ids += 1;
        ModernCtx {
            now_ms: self.now_ms,
            group: GroupIdx(0),
            consumer: None,
            topics: &self.topics,
            assignors: &self.assignors,
            heartbeat_interval_ms: 5_000,
            session_timeout_ms: 45_000,
            new_member_id: format!("{prefix}{}", self.ids),
        }
    }

    fn beat(&mut self, g: &mut ConsumerGroup, req: HeartbeatRequest) -> HeartbeatResponse {
        let ctx = self.ctx("m");
        let mut out = Outbox::new();
        g.heartbeat(&req, &ctx, &mut out)
    }
}

fn join(instance: Option<&str>) -> HeartbeatRequest {
    HeartbeatRequest {
        member_id: String::new(),
        instance_id: instance.map(str::to_string),
        member_epoch: 0,
        rebalance_timeout_ms: 300_000,
        subscribed_topics: Some(vec!["t".into()]),
        server_assignor: None,
        owned: Some(Vec::new()),
    }
}

fn beat(r: &HeartbeatResponse, owned: Option<Vec<TopicPartition>>) -> HeartbeatRequest {
    HeartbeatRequest {
        member_id: r.member_id.clone(),
        instance_id: None,
        member_epoch: r.member_epoch,
        rebalance_timeout_ms: -1,
        subscribed_topics: None,
        server_assignor: None,
        owned,
    }
}

/// Every partition is in at most one member's assigned or pending-revocation set.
fn assert_one_owner(g: &ConsumerGroup) {
    let mut seen = BTreeMap::new();
    for m in &g.members {
        for tp in m.assigned.iter().chain(&m.pending_revocation) {
            assert!(
                seen.insert(tp.clone(), m.member_id.clone()).is_none(),
                "{tp} owned twice"
            );
        }
    }
}

#[test]
fn a_joining_member_bumps_the_group_epoch_and_gets_the_target_at_once() {
    let mut w = World::new(4);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    assert_eq!(a.error, None);
    assert_eq!(
        (g.group_epoch, g.assignment_epoch, a.member_epoch),
        (1, 1, 1)
    );
    assert_eq!(a.assignment.as_ref().map(Vec::len), Some(4));
}

#[test]
fn a_partition_moves_only_after_its_owner_acknowledges_the_revocation() {
    let mut w = World::new(4);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    let a_owned = a.assignment.clone().unwrap();
    // B joins: the target moves two partitions, which A still owns.
    let b = w.beat(&mut g, join(None));
    assert_eq!(b.member_epoch, 2);
    assert_eq!(b.assignment, Some(vec![]), "nothing is free yet");
    assert_eq!(
        g.member(&b.member_id).unwrap().state,
        MemberState::UnreleasedPartitions
    );
    assert_one_owner(&g);
    // A's next heartbeat: it must revoke and stays at its epoch.
    let a2 = w.beat(&mut g, beat(&a, None));
    assert_eq!(a2.member_epoch, 1);
    let kept = a2.assignment.clone().unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(
        g.member(&a.member_id).unwrap().state,
        MemberState::UnrevokedPartitions
    );
    // B asks again: still nothing, A has not acknowledged.
    let b2 = w.beat(&mut g, beat(&b, None));
    assert_eq!(b2.assignment, None);
    assert_one_owner(&g);
    // A acknowledges (owns only what it kept): it moves to epoch 2 ...
    let a3 = w.beat(&mut g, beat(&a2, Some(kept.clone())));
    assert_eq!(a3.member_epoch, 2);
    // ... and B then receives the released partitions.
    let b3 = w.beat(&mut g, beat(&b2, None));
    let mut got = b3.assignment.unwrap();
    got.extend(kept);
    got.sort();
    assert_eq!(got, a_owned);
    assert_one_owner(&g);
    assert!(g.members.iter().all(|m| m.state == MemberState::Stable));
}

#[test]
fn a_member_that_gives_nothing_up_is_never_paused() {
    let mut w = World::new(4);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    let b = w.beat(&mut g, join(None));
    let a2 = w.beat(&mut g, beat(&a, None));
    w.beat(&mut g, beat(&a2, Some(a2.assignment.clone().unwrap())));
    let b2 = w.beat(&mut g, beat(&b, None));
    let b_owned = b2.assignment.clone().unwrap();
    // C joins: the uniform assignor moves one partition from each of A and B.
    let c = w.beat(&mut g, join(None));
    assert_eq!(g.member(&c.member_id).unwrap().member_epoch, 3);
    // B's heartbeat: it keeps consuming what it keeps, at its old epoch.
    let b3 = w.beat(&mut g, beat(&b2, None));
    let b_now = g.member(&b.member_id).unwrap();
    assert!(b_now.assigned.iter().all(|tp| b_owned.contains(tp)));
    assert_eq!(b3.error, None);
    assert_one_owner(&g);
}

#[test]
fn an_epoch_from_the_future_is_fenced() {
    let mut w = World::new(2);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    let mut req = beat(&a, None);
    req.member_epoch = 7;
    assert_eq!(
        w.beat(&mut g, req).error,
        Some(ErrorCode::FencedMemberEpoch)
    );
}

#[test]
fn the_previous_epoch_is_accepted_only_with_a_subset_of_the_assignment() {
    let mut w = World::new(2);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    let _b = w.beat(&mut g, join(None));
    let a2 = w.beat(&mut g, beat(&a, None));
    let kept = a2.assignment.clone().unwrap();
    let a3 = w.beat(&mut g, beat(&a2, Some(kept.clone())));
    assert_eq!(a3.member_epoch, 2);
    // The answer was lost: A heartbeats again at epoch 1 owning its subset.
    let again = w.beat(&mut g, beat(&a2, Some(kept)));
    assert_eq!(again.error, None);
    // At epoch 1 owning a partition that is no longer its own: fenced.
    let stale = w.beat(&mut g, beat(&a2, Some(vec![tp(0), tp(1)])));
    assert_eq!(stale.error, Some(ErrorCode::FencedMemberEpoch));
}

#[test]
fn an_unknown_member_is_refused() {
    let mut w = World::new(2);
    let mut g = ConsumerGroup::default();
    w.beat(&mut g, join(None));
    let mut req = join(None);
    req.member_id = "ghost".into();
    req.member_epoch = 3;
    req.owned = None;
    req.rebalance_timeout_ms = -1;
    assert_eq!(w.beat(&mut g, req).error, Some(ErrorCode::UnknownMemberId));
}

#[test]
fn an_assignor_the_broker_does_not_offer_is_refused() {
    let mut w = World::new(2);
    w.assignors = vec![ServerAssignorKind::Uniform];
    let mut g = ConsumerGroup::default();
    let mut req = join(None);
    req.server_assignor = Some(ServerAssignorKind::Range);
    assert_eq!(
        w.beat(&mut g, req).error,
        Some(ErrorCode::UnsupportedAssignor)
    );
    assert!(g.members.is_empty());
}

#[test]
fn a_commit_must_carry_the_current_member_epoch() {
    let mut w = World::new(2);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    assert_eq!(g.check_commit(&a.member_id, 1).err(), None);
    w.beat(&mut g, join(None));
    let a2 = w.beat(&mut g, beat(&a, None));
    w.beat(&mut g, beat(&a2, Some(a2.assignment.clone().unwrap())));
    assert_eq!(
        g.check_commit(&a.member_id, 1).err(),
        Some(ErrorCode::StaleMemberEpoch)
    );
    assert_eq!(g.check_commit(&a.member_id, 2).err(), None);
    // An accepted commit comes with the member it was checked against.
    assert_eq!(
        g.check_commit(&a.member_id, 2)
            .ok()
            .flatten()
            .map(|m| m.member_id.as_str()),
        Some(a.member_id.as_str())
    );
    assert_eq!(
        g.check_commit("ghost", 2).err(),
        Some(ErrorCode::UnknownMemberId)
    );
    // An OffsetFetch v9 that names a member is checked the same way.
    assert_eq!(g.check_fetch(&a.member_id, 2), None);
    assert_eq!(
        g.check_fetch(&a.member_id, 1),
        Some(ErrorCode::StaleMemberEpoch)
    );
    assert_eq!(g.check_fetch("", 2), Some(ErrorCode::UnknownMemberId));
}

#[test]
fn a_static_member_rejoins_without_a_new_assignment() {
    let mut w = World::new(4);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(Some("a")));
    let _b = w.beat(&mut g, join(None));
    let a2 = w.beat(
        &mut g,
        HeartbeatRequest {
            instance_id: Some("a".into()),
            ..beat(&a, None)
        },
    );
    let kept = a2.assignment.clone().unwrap();
    w.beat(
        &mut g,
        HeartbeatRequest {
            instance_id: Some("a".into()),
            ..beat(&a2, Some(kept.clone()))
        },
    );
    let epoch = g.group_epoch;
    // A leaves as a static member (-2) and comes back under a new member id.
    let left = w.beat(
        &mut g,
        HeartbeatRequest {
            member_epoch: LEAVE_STATIC_EPOCH,
            instance_id: Some("a".into()),
            ..beat(&a, None)
        },
    );
    assert_eq!(left.member_epoch, LEAVE_STATIC_EPOCH);
    assert_eq!(
        g.group_epoch, epoch,
        "a static leave does not bump the epoch"
    );
    let back = w.beat(&mut g, join(Some("a")));
    assert_eq!(back.error, None);
    assert_eq!(g.group_epoch, epoch, "nor does its return");
    assert_eq!(back.assignment, Some(kept));
    assert_one_owner(&g);
}

#[test]
fn a_static_instance_id_still_in_use_is_unreleased() {
    let mut w = World::new(2);
    let mut g = ConsumerGroup::default();
    w.beat(&mut g, join(Some("a")));
    assert_eq!(
        w.beat(&mut g, join(Some("a"))).error,
        Some(ErrorCode::UnreleasedInstanceId)
    );
}

#[test]
fn a_member_that_does_not_revoke_within_its_rebalance_timeout_is_fenced() {
    let mut w = World::new(2);
    let mut g = ConsumerGroup::default();
    let a = w.beat(&mut g, join(None));
    w.beat(&mut g, join(None));
    w.beat(&mut g, beat(&a, None));
    let m = g.member(&a.member_id).unwrap().clone();
    assert_eq!(m.state, MemberState::UnrevokedPartitions);
    let mut out = Outbox::new();
    g.rebalance_expired(m.serial, m.member_epoch, GroupIdx(0), &w.topics, &mut out);
    assert!(g.member(&a.member_id).is_none());
    assert_eq!(g.group_epoch, 3);
}

#[test]
fn the_assignor_most_members_ask_for_wins_and_a_tie_goes_to_uniform() {
    let mut w = World::new(4);
    let mut g = ConsumerGroup::default();
    let ask = |kind| HeartbeatRequest {
        server_assignor: Some(kind),
        ..join(None)
    };
    w.beat(&mut g, ask(ServerAssignorKind::Range));
    assert_eq!(g.last_assignor, Some(ServerAssignorKind::Range));
    w.beat(&mut g, ask(ServerAssignorKind::Uniform));
    assert_eq!(g.last_assignor, Some(ServerAssignorKind::Uniform), "1:1");
    w.beat(&mut g, ask(ServerAssignorKind::Range));
    assert_eq!(g.last_assignor, Some(ServerAssignorKind::Range), "2:1");
}

// ---- classic members in a consumer group (classic_members.rs) ---------------

impl World {
    fn classic_join(&mut self, g: &mut ConsumerGroup, meta: &MemberMetadata) -> ClassicJoinAnswer {
        let ctx = self.ctx("c");
        let mut out = Outbox::new();
        g.classic_join(meta, 45_000, 300_000, &ctx, &mut out)
    }
}

use crate::engine::assignor::AssignorKind;
use crate::engine::network::MemberMetadata;

fn classic_meta(
    member_id: &str,
    strategy: AssignorKind,
    owned: Vec<TopicPartition>,
) -> MemberMetadata {
    MemberMetadata {
        member_id: member_id.into(),
        instance_id: None,
        consumer: ConsumerIdx(9),
        protocols: vec![strategy],
        topics: vec!["t".into()],
        owned,
        owned_generation: None,
    }
}

/// A consumer group converted from a classic one: member "a" owns 0-1 and
/// "b" owns 2-3, both classic, at generation 5.
fn converted(strategy: AssignorKind) -> ConsumerGroup {
    let (ma, mb) = (
        classic_meta("a", strategy, vec![]),
        classic_meta("b", strategy, vec![]),
    );
    let (pa, pb) = ([tp(0), tp(1)], [tp(2), tp(3)]);
    let members = [
        ("a", &ma, 45_000, 300_000, &pa[..]),
        ("b", &mb, 45_000, 300_000, &pb[..]),
    ];
    let mut g = ConsumerGroup::from_classic(5, members.into_iter(), true);
    g.subscription_metadata = [("t".to_string(), 4)].into_iter().collect();
    g
}

#[test]
fn an_upgraded_group_keeps_every_classic_members_partitions_at_the_generation() {
    let g = converted(AssignorKind::Range);
    assert_eq!((g.group_epoch, g.assignment_epoch), (5, 5));
    for m in &g.members {
        assert_eq!((m.member_epoch, m.state), (5, MemberState::Stable));
        assert!(m.uses_classic_protocol());
    }
    assert_eq!(g.member("a").unwrap().assigned, vec![tp(0), tp(1)]);
    assert_eq!(g.partition_epoch(&tp(3)), 5);
    assert_eq!(g.state_name(), "Stable");
}

#[test]
fn a_classic_member_is_told_to_rejoin_when_the_group_epoch_passes_it() {
    let mut w = World::new(4);
    let mut g = converted(AssignorKind::CooperativeSticky);
    let mut out = Outbox::new();
    assert_eq!(
        g.classic_heartbeat("a", 5, GroupIdx(0), 0, &mut out),
        Ok(())
    );
    // A consumer-protocol member joins: the group epoch goes to 6.
    let c = w.beat(&mut g, join(None));
    assert_eq!(c.error, None);
    assert_eq!(g.group_epoch, 6);
    assert_eq!(
        g.classic_heartbeat("a", 5, GroupIdx(0), 0, &mut out),
        Err(ErrorCode::RebalanceInProgress)
    );
    // Its generation is its member epoch: anything else is illegal.
    assert_eq!(
        g.classic_heartbeat("a", 4, GroupIdx(0), 0, &mut out),
        Err(ErrorCode::IllegalGeneration)
    );
    // A consumer-protocol member cannot use the classic API.
    assert_eq!(
        g.classic_heartbeat(&c.member_id, c.member_epoch, GroupIdx(0), 0, &mut out),
        Err(ErrorCode::UnknownMemberId)
    );
    // And a sync before rejoining is refused the same way.
    assert_eq!(
        g.classic_sync("a", 5, GroupIdx(0), 0, &mut out),
        Err(ErrorCode::RebalanceInProgress)
    );
}

#[test]
fn a_cooperative_classic_member_revokes_before_the_partition_moves_and_an_eager_one_at_once() {
    for (strategy, rejoins) in [
        (AssignorKind::CooperativeSticky, 2),
        (AssignorKind::Range, 1),
    ] {
        let mut w = World::new(4);
        let mut g = converted(strategy);
        let c = w.beat(&mut g, join(None));
        // The new member waits for a partition a classic member still owns.
        assert_eq!(
            g.member(&c.member_id).unwrap().state,
            MemberState::UnreleasedPartitions
        );
        let giver = ["a", "b"]
            .into_iter()
            .find(|id| g.target.get(*id).unwrap().len() < 2)
            .unwrap();
        // A cooperative member joins listing what it owns; an eager one
        // revoked everything first.
        let mut owned = match strategy {
            AssignorKind::CooperativeSticky => g.member(giver).unwrap().assigned.clone(),
            _ => vec![],
        };
        let mut joins = 0;
        loop {
            joins += 1;
            let a = w.classic_join(&mut g, &classic_meta(giver, strategy, owned.clone()));
            assert_eq!(a.error, None, "{strategy:?}");
            let mut out = Outbox::new();
            let got = g
                .classic_sync(giver, a.generation, GroupIdx(0), 0, &mut out)
                .unwrap();
            assert_one_owner(&g);
            if a.generation == g.assignment_epoch {
                break;
            }
            // Still at its old epoch, told to keep only `got`: it revokes the rest.
            owned = got;
            assert!(joins < 3, "{strategy:?}: reconciles");
        }
        assert_eq!(joins, rejoins, "{strategy:?}");
        assert_eq!(g.member(giver).unwrap().assigned.len(), 1, "{strategy:?}");
        // The freed partition is the new member's on its next heartbeat.
        let c2 = w.beat(&mut g, beat(&c, Some(vec![])));
        assert_eq!(c2.assignment.map(|a| a.len()), Some(1), "{strategy:?}");
    }
}

#[test]
fn a_classic_member_commits_with_its_generation_or_gets_illegal_generation() {
    let g = converted(AssignorKind::Range);
    assert_eq!(g.check_commit("a", 5).err(), None);
    assert_eq!(
        g.check_commit("a", 4).err(),
        Some(ErrorCode::IllegalGeneration)
    );
}

#[test]
fn a_classic_member_that_does_not_rejoin_in_time_is_fenced() {
    let mut w = World::new(4);
    let mut g = converted(AssignorKind::Range);
    w.beat(&mut g, join(None));
    let mut out = Outbox::new();
    let _ = g.classic_heartbeat("a", 5, GroupIdx(0), 1_000, &mut out);
    let deadline = g.member("a").unwrap().join_deadline_ms.expect("join timer");
    assert_eq!(deadline, 301_000);
    g.classic_timer_expired(
        g.member("a").unwrap().serial,
        deadline,
        true,
        GroupIdx(0),
        &w.topics,
        &mut out,
    );
    assert!(g.member("a").is_none(), "fenced");
    assert_eq!(g.group_epoch, 7);
}

#[test]
fn the_last_consumer_protocol_member_leaving_decides_a_downgrade_unless_the_policy_forbids_it() {
    for allow in [true, false] {
        let mut w = World::new(4);
        let mut g = converted(AssignorKind::Range);
        g.allow_downgrade = allow;
        let c = w.beat(&mut g, join(None));
        let mut leave = beat(&c, None);
        leave.member_epoch = LEAVE_EPOCH;
        w.beat(&mut g, leave);
        if allow {
            let d = g.downgrade.clone().expect("a downgrade");
            assert_eq!(d.leaving, c.member_id);
            let classic = g.to_classic_members(&d);
            assert_eq!(classic.len(), 2);
            // Each keeps its target; what the target gave the leaver is
            // assigned again by the classic rebalance that follows.
            let owned: usize = classic.iter().map(|(_, _, a)| a.len()).sum();
            let leavers = g.target.get(&c.member_id).map_or(0, Vec::len);
            assert_eq!(owned + leavers, 4);
            for (m, _, a) in &classic {
                assert_eq!(Some(a), g.target.get(&m.meta.member_id));
            }
        } else {
            assert!(g.downgrade.is_none());
            assert_eq!(g.members.len(), 2);
        }
    }
}
