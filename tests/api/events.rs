//! The event bus: events queued in a transaction reach subscribers only
//! after it commits (never on rollback), in process and across instances
//! through Redis.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use switchboard::infra::events::{Event, Tx};

use crate::support::TestServer;

async fn next_within(
    stream: &mut (impl futures::Stream<Item = std::sync::Arc<Event>> + Unpin),
    ms: u64,
) -> Option<Event> {
    tokio::time::timeout(Duration::from_millis(ms), stream.next())
        .await
        .ok()
        .flatten()
        .map(|e| (*e).clone())
}

#[tokio::test]
async fn events_are_published_only_after_commit() {
    let server = TestServer::start().await;
    let ctx = &server.ctx;
    assert!(!ctx.bus.is_distributed());
    let mut stream = Box::pin(ctx.bus.subscribe("test:commit"));

    let tx = Tx::begin(&ctx.db.primary).await.unwrap();
    tx.publish_after_commit(Event::new("test:commit", json!({"n": 1})));
    assert!(
        next_within(&mut stream, 200).await.is_none(),
        "nothing before the commit"
    );
    tx.commit(&ctx.bus).await.unwrap();
    let got = next_within(&mut stream, 2000).await.expect("delivered after commit");
    assert_eq!(got.payload, json!({"n": 1}));

    let tx = Tx::begin(&ctx.db.primary).await.unwrap();
    tx.publish_after_commit(Event::new("test:commit", json!({"n": 2})));
    tx.rollback().await.unwrap();
    // A later event proves the stream is live and the rolled-back one never came.
    ctx.bus
        .publish(Event::new("test:commit", json!({"n": 3})))
        .await
        .unwrap();
    let got = next_within(&mut stream, 2000).await.expect("the later event");
    assert_eq!(got.payload, json!({"n": 3}));
    // Other topics are not delivered to this subscriber.
    ctx.bus.publish(Event::new("test:other", json!({}))).await.unwrap();
    assert!(next_within(&mut stream, 200).await.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_instances_through_redis() {
    let (a, b) = TestServer::pair_with_redis().await;
    assert!(a.ctx.bus.is_distributed() && b.ctx.bus.is_distributed());
    let topic = format!("test:{}", uuid::Uuid::new_v4());
    let mut on_b = Box::pin(b.ctx.bus.subscribe(&topic));
    let mut on_a = Box::pin(a.ctx.bus.subscribe(&topic));
    let tx = Tx::begin(&a.ctx.db.primary).await.unwrap();
    tx.publish_after_commit(Event::new(topic.clone(), json!({"from": "a"})));
    tx.commit(&a.ctx.bus).await.unwrap();
    let got = next_within(&mut on_b, 5000)
        .await
        .expect("instance B receives A's event");
    assert_eq!(got.payload, json!({"from": "a"}));
    let got = next_within(&mut on_a, 5000)
        .await
        .expect("instance A's own subscribers too");
    assert_eq!(got.payload, json!({"from": "a"}));
    a.stop().await;
    b.stop().await;
}
