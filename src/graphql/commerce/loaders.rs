//! Commerce's DataLoaders: orders' items, invoices, payments and coupons;
//! payments' transactions (and their payloads) and gateways; and the
//! orders, invoices and packages records point at. A page of orders loads
//! most of its relations itself ([`crate::service::commerce::order_page`]);
//! these serve everything else. Batched per request, so a page of orders
//! costs the same few statements at any size. Each loader is one
//! [`Bulk`] over a service function that reads many keys in one statement.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{coupons, invoices, order_items, orders, payments, pricing_packages};
use sea_orm::DatabaseConnection;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::AppResult;
use crate::graphql::loaders::{cached, Cached, LoadError};
use crate::service::commerce::gateway::GatewayKind;
use crate::service::commerce::order_page::{self as page, TransactionEntry};
use crate::service::commerce::{catalog, gateways, orders as svc};

/// What a bulk read returns for a batch of keys.
type Batch<V> = Pin<Box<dyn Future<Output = AppResult<HashMap<Uuid, V>>> + Send>>;

/// A loader over one bulk read: `fetch` answers a whole batch of keys.
pub struct Bulk<V> {
    db: DatabaseConnection,
    fetch: fn(DatabaseConnection, Vec<Uuid>) -> Batch<V>,
}

impl<V: Send + Sync + Clone + 'static> Loader<Uuid> for Bulk<V> {
    type Value = V;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, V>, LoadError> {
        (self.fetch)(self.db.clone(), keys.to_vec()).await.map_err(Arc::new)
    }
}

fn bulk<V: Send + Sync + Clone + 'static>(
    db: &DatabaseConnection,
    fetch: fn(DatabaseConnection, Vec<Uuid>) -> Batch<V>,
) -> Cached<Bulk<V>> {
    cached(Bulk { db: db.clone(), fetch })
}

/// Rows grouped under their key; every key gets an answer (empty or not)
/// so the cache holds it.
fn grouped<T>(keys: &[Uuid], rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

/// The first row of each key (rows come oldest first).
fn first_of<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    let mut out = HashMap::new();
    for r in rows {
        out.entry(key(&r)).or_insert(r);
    }
    out
}

/// Commerce's loaders of one request.
pub struct CommerceLoaders {
    /// An order's items, by order id.
    pub items: Cached<Bulk<Vec<order_items::Model>>>,
    /// An order's invoice, by order id.
    pub invoice_of_order: Cached<Bulk<invoices::Model>>,
    /// An order's payments, by order id.
    pub payments_of_order: Cached<Bulk<Vec<payments::Model>>>,
    /// A payment's transaction log (without payloads), by payment id.
    pub transactions: Cached<Bulk<Vec<TransactionEntry>>>,
    /// A log entry's request and response payloads, by entry id (read
    /// only when a query asks for them).
    pub payloads: Cached<Bulk<(Option<Json>, Option<Json>)>>,
    /// The gateway of a configuration, by configuration id.
    pub gateway_kinds: Cached<Bulk<GatewayKind>>,
    /// Coupons by id.
    pub coupons: Cached<Bulk<coupons::Model>>,
    /// Packages by id.
    pub packages: Cached<Bulk<pricing_packages::Model>>,
    /// Orders by id.
    pub orders: Cached<Bulk<orders::Model>>,
    /// Invoices by id.
    pub invoices: Cached<Bulk<invoices::Model>>,
}

impl CommerceLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        CommerceLoaders {
            items: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(grouped(&ids, svc::items_of_many(&db, &ids).await?, |i| i.order_id)) })
            }),
            invoice_of_order: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(first_of(svc::invoices_of_many(&db, &ids).await?, |i| i.order_id)) })
            }),
            payments_of_order: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(grouped(&ids, svc::payments_of_many(&db, &ids).await?, |p| p.order_id)) })
            }),
            transactions: bulk(&db, |db, ids| {
                Box::pin(async move {
                    let rows = page::transactions_of_many(&db, &ids).await?;
                    Ok(grouped(&ids, rows, |t| t.payment_id))
                })
            }),
            payloads: bulk(&db, |db, ids| {
                Box::pin(async move {
                    let rows = page::transaction_payloads(&db, &ids).await?;
                    Ok(rows.into_iter().map(|(id, req, res)| (id, (req, res))).collect())
                })
            }),
            gateway_kinds: bulk(&db, |db, ids| {
                Box::pin(async move { gateways::kinds_of_many(&db, &ids).await })
            }),
            coupons: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(first_of(catalog::coupons_of_many(&db, &ids).await?, |c| c.id)) })
            }),
            packages: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(first_of(catalog::packages_of_many(&db, &ids).await?, |p| p.id)) })
            }),
            orders: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(first_of(svc::orders_by_id(&db, &ids).await?, |o| o.id)) })
            }),
            invoices: bulk(&db, |db, ids| {
                Box::pin(async move { Ok(first_of(svc::invoices_by_id(&db, &ids).await?, |i| i.id)) })
            }),
        }
    }

    /// Turns every cache off (subscriptions read current rows per event).
    pub fn disable_caches(&self) {
        self.items.enable_all_cache(false);
        self.invoice_of_order.enable_all_cache(false);
        self.payments_of_order.enable_all_cache(false);
        self.transactions.enable_all_cache(false);
        self.payloads.enable_all_cache(false);
        self.gateway_kinds.enable_all_cache(false);
        self.coupons.enable_all_cache(false);
        self.packages.enable_all_cache(false);
        self.orders.enable_all_cache(false);
        self.invoices.enable_all_cache(false);
    }
}
