//! Column sets: which columns of a table a page reads, as bits over the
//! table's column list, with the lists (names and types, in the tables'
//! order) and bits of the tables an order page reads.

/// A set of columns of one table: bit `i` is column `i` of the table's
/// list (the modules below). A model read with a set holds blank values in the
/// columns outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cols(pub u32);

impl Cols {
    /// Whether every column of `bits` is in the set.
    pub const fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }

    /// The set with `bits` added.
    pub const fn with(self, bits: u32) -> Cols {
        Cols(self.0 | bits)
    }

    /// How many columns the set holds (its width in a result row).
    pub(super) const fn width(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Appends `alias.column` for each column of the set, comma-led.
    pub(super) fn push_sql(self, alias: &str, names: &[&str], sql: &mut String) {
        for (i, name) in names.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                sql.push_str(", ");
                sql.push_str(alias);
                sql.push('.');
                sql.push_str(name);
            }
        }
    }

    /// Appends `NULL::type` for each column of the set, comma-led (the
    /// other branch's columns).
    pub(super) fn push_nulls(self, types: &[&str], sql: &mut String) {
        for (i, ty) in types.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                sql.push_str(", NULL::");
                sql.push_str(ty);
            }
        }
    }

    /// The indexes of the set's columns, in list (and result) order.
    pub(super) fn indexes(self) -> impl Iterator<Item = u32> {
        (0..32).filter(move |i| self.0 & (1 << i) != 0)
    }
}

/// `orders`.
pub mod order {
    pub const NAMES: &[&str] = &[
        "id",
        "user_id",
        "order_type",
        "subtotal_inr",
        "discount_inr",
        "tax_inr",
        "total_inr",
        "coupon_id",
        "status",
        "created_at",
        "updated_at",
    ];
    pub const TYPES: &[&str] = &[
        "uuid",
        "uuid",
        "text",
        "bigint",
        "bigint",
        "bigint",
        "bigint",
        "uuid",
        "text",
        "timestamptz",
        "timestamptz",
    ];
    pub const ID: u32 = 1;
    pub const USER_ID: u32 = 1 << 1;
    pub const ORDER_TYPE: u32 = 1 << 2;
    pub const SUBTOTAL: u32 = 1 << 3;
    pub const DISCOUNT: u32 = 1 << 4;
    pub const TAX: u32 = 1 << 5;
    pub const TOTAL: u32 = 1 << 6;
    pub const COUPON_ID: u32 = 1 << 7;
    pub const STATUS: u32 = 1 << 8;
    pub const CREATED_AT: u32 = 1 << 9;
    pub const UPDATED_AT: u32 = 1 << 10;
    pub const ALL: u32 = (1 << 11) - 1;
    /// What every page reads: the key and the sort key.
    pub const KEYS: u32 = ID | CREATED_AT;
}
/// `invoices`.
pub mod invoice {
    pub const NAMES: &[&str] = &[
        "id",
        "order_id",
        "user_id",
        "invoice_number",
        "subtotal_inr",
        "discount_inr",
        "tax_inr",
        "total_inr",
        "status",
        "issued_at",
        "due_at",
        "paid_at",
        "created_at",
        "updated_at",
    ];
    pub const TYPES: &[&str] = &[
        "uuid",
        "uuid",
        "uuid",
        "text",
        "bigint",
        "bigint",
        "bigint",
        "bigint",
        "text",
        "timestamptz",
        "timestamptz",
        "timestamptz",
        "timestamptz",
        "timestamptz",
    ];
    pub const ID: u32 = 1;
    pub const ORDER_ID: u32 = 1 << 1;
    pub const USER_ID: u32 = 1 << 2;
    pub const NUMBER: u32 = 1 << 3;
    pub const SUBTOTAL: u32 = 1 << 4;
    pub const DISCOUNT: u32 = 1 << 5;
    pub const TAX: u32 = 1 << 6;
    pub const TOTAL: u32 = 1 << 7;
    pub const STATUS: u32 = 1 << 8;
    pub const ISSUED_AT: u32 = 1 << 9;
    pub const DUE_AT: u32 = 1 << 10;
    pub const PAID_AT: u32 = 1 << 11;
    pub const CREATED_AT: u32 = 1 << 12;
    pub const UPDATED_AT: u32 = 1 << 13;
    pub const ALL: u32 = (1 << 14) - 1;
    /// The key (NULL when the order has no invoice).
    pub const KEYS: u32 = ID;
}
/// `order_items`.
pub mod item {
    pub const NAMES: &[&str] = &[
        "id",
        "order_id",
        "item_type",
        "item_id",
        "item_name",
        "quantity",
        "unit_price_inr",
        "total_price_inr",
        "created_at",
    ];
    pub const TYPES: &[&str] = &[
        "uuid",
        "uuid",
        "text",
        "uuid",
        "text",
        "integer",
        "bigint",
        "bigint",
        "timestamptz",
    ];
    pub const ID: u32 = 1;
    pub const ORDER_ID: u32 = 1 << 1;
    pub const ITEM_TYPE: u32 = 1 << 2;
    pub const ITEM_ID: u32 = 1 << 3;
    pub const ITEM_NAME: u32 = 1 << 4;
    pub const QUANTITY: u32 = 1 << 5;
    pub const UNIT_PRICE: u32 = 1 << 6;
    pub const TOTAL_PRICE: u32 = 1 << 7;
    pub const CREATED_AT: u32 = 1 << 8;
    pub const ALL: u32 = (1 << 9) - 1;
    /// The key and the sort key.
    pub const KEYS: u32 = ID | CREATED_AT;
}
/// `payments`.
pub mod payment {
    pub const NAMES: &[&str] = &[
        "id",
        "order_id",
        "invoice_id",
        "user_id",
        "payment_gateway_config_id",
        "payment_method",
        "provider_payment_ref",
        "amount_inr",
        "currency_code",
        "status",
        "initiated_at",
        "completed_at",
        "created_at",
        "updated_at",
    ];
    pub const TYPES: &[&str] = &[
        "uuid",
        "uuid",
        "uuid",
        "uuid",
        "uuid",
        "text",
        "text",
        "bigint",
        "text",
        "text",
        "timestamptz",
        "timestamptz",
        "timestamptz",
        "timestamptz",
    ];
    pub const ID: u32 = 1;
    pub const ORDER_ID: u32 = 1 << 1;
    pub const INVOICE_ID: u32 = 1 << 2;
    pub const USER_ID: u32 = 1 << 3;
    pub const GATEWAY_CONFIG_ID: u32 = 1 << 4;
    pub const METHOD: u32 = 1 << 5;
    pub const PROVIDER_REF: u32 = 1 << 6;
    pub const AMOUNT: u32 = 1 << 7;
    pub const CURRENCY: u32 = 1 << 8;
    pub const STATUS: u32 = 1 << 9;
    pub const INITIATED_AT: u32 = 1 << 10;
    pub const COMPLETED_AT: u32 = 1 << 11;
    pub const CREATED_AT: u32 = 1 << 12;
    pub const UPDATED_AT: u32 = 1 << 13;
    pub const ALL: u32 = (1 << 14) - 1;
    /// The key and the sort key.
    pub const KEYS: u32 = ID | CREATED_AT;
}
/// `payment_transactions`, without the payloads.
pub mod transaction {
    pub const NAMES: &[&str] = &[
        "id",
        "payment_id",
        "transaction_type",
        "provider_reference",
        "status",
        "created_at",
    ];
    pub const TYPES: &[&str] = &["uuid", "uuid", "text", "text", "text", "timestamptz"];
    pub const ID: u32 = 1;
    pub const PAYMENT_ID: u32 = 1 << 1;
    pub const TYPE: u32 = 1 << 2;
    pub const PROVIDER_REF: u32 = 1 << 3;
    pub const STATUS: u32 = 1 << 4;
    pub const CREATED_AT: u32 = 1 << 5;
    pub const ALL: u32 = (1 << 6) - 1;
    /// The key and the sort key.
    pub const KEYS: u32 = ID | CREATED_AT;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_set_lists_its_columns_in_order() {
        let c = Cols(order::ID | order::STATUS | order::TOTAL);
        let mut sql = String::new();
        c.push_sql("o", order::NAMES, &mut sql);
        assert_eq!(sql, ", o.id, o.total_inr, o.status");
        assert_eq!(c.width(), 3);
        assert_eq!(c.indexes().collect::<Vec<_>>(), [0, 6, 8]);
        assert!(c.has(order::ID | order::STATUS));
        assert!(!c.has(order::USER_ID));
        assert_eq!(order::NAMES.len(), order::ALL.count_ones() as usize);
        assert_eq!(invoice::NAMES.len(), invoice::ALL.count_ones() as usize);
        assert_eq!(item::NAMES.len(), item::ALL.count_ones() as usize);
        assert_eq!(payment::NAMES.len(), payment::ALL.count_ones() as usize);
        assert_eq!(transaction::NAMES.len(), transaction::ALL.count_ones() as usize);
    }
}
