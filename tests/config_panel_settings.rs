//! What the configuration panel's settings do to the run: each one lands in
//! the scenario the engine runs (Kafka's name for it is shown beside it),
//! and changing one restarts the scenario with the same seed.

use kafkascope::model::{setting_label, Model, Msg, Setting};

#[test]
fn the_preferred_leader_election_settings_reach_the_engine_under_their_kafka_names() {
    let mut m = Model::default();
    let seed = m.engine.config().seed;
    assert!(
        m.engine.config().cluster.auto_leader_rebalance_enable,
        "Kafka's default"
    );
    assert_eq!(
        m.engine
            .config()
            .cluster
            .leader_imbalance_check_interval_seconds,
        300
    );
    for (setting, name) in [
        (
            Setting::AutoLeaderRebalance(false),
            "auto.leader.rebalance.enable",
        ),
        (
            Setting::ImbalanceCheckSeconds(5),
            "leader.imbalance.check.interval.seconds",
        ),
    ] {
        assert_eq!(setting_label(&setting), name);
        m.update(Msg::Configure(setting));
    }
    let c = &m.engine.config().cluster;
    assert!(!c.auto_leader_rebalance_enable);
    assert_eq!(c.leader_imbalance_check_interval_seconds, 5);
    assert_eq!(m.engine.config().seed, seed, "same seed");
    assert!(m.draft_errors.is_empty(), "{:?}", m.draft_errors);
}

#[test]
fn the_rebalance_protocol_settings_reach_every_group_under_their_kafka_names() {
    use kafkascope::engine::assignor::server::ServerAssignorKind;
    use kafkascope::engine::config::GroupProtocol;
    let mut m = Model::default();
    m.update(Msg::Configure(Setting::Groups(2)));
    for (setting, name) in [
        (
            Setting::GroupProtocol(GroupProtocol::Consumer),
            "group.protocol",
        ),
        (
            Setting::RemoteAssignor(Some(ServerAssignorKind::Range)),
            "group.remote.assignor",
        ),
    ] {
        assert_eq!(setting_label(&setting), name);
        m.update(Msg::Configure(setting));
    }
    for g in &m.engine.config().groups {
        assert_eq!(g.group_protocol, GroupProtocol::Consumer);
        assert_eq!(g.group_remote_assignor, Some(ServerAssignorKind::Range));
    }
    assert!(m.draft_errors.is_empty(), "{:?}", m.draft_errors);
    // The engine runs it: the groups become consumer groups.
    m.engine.run_until_idle(200);
    assert!(m.engine.groups().iter().all(|g| g.modern.is_some()));
}
