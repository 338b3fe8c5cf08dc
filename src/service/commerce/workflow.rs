//! The typed values of commerce and the workflows over them: which status
//! an order, an invoice or a payment may move to next. Services compare and
//! store these enums (never string literals); a change of status goes
//! through [`Workflow::require_move`] so an impossible transition (a refund
//! of a failed payment, a completion of a cancelled order) cannot be
//! written by mistake.

use entity::enums::{InvoiceStatus, OrderStatus, PaymentStatus};
use sea_orm::ActiveEnum;

use crate::error::{AppError, AppResult};

/// A stored enum value as its enum; a value the enum lacks is a bug in the
/// data, reported as `INTERNAL`.
pub fn parse<E: ActiveEnum<Value = String>>(value: &str) -> AppResult<E> {
    E::try_from_value(&value.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad enum value in database: {e}")))
}

/// Whether a stored value is `e` (false for values the enum lacks).
pub fn is<E: ActiveEnum<Value = String> + PartialEq>(value: &str, e: E) -> bool {
    E::try_from_value(&value.to_string()).is_ok_and(|v| v == e)
}

/// A status workflow: the statuses each status may move to.
pub trait Workflow: ActiveEnum<Value = String> + Copy + PartialEq + std::fmt::Debug + 'static {
    /// What the record is called in errors.
    const NOUN: &'static str;

    /// The statuses `self` may move to.
    fn next(self) -> &'static [Self];

    /// Whether `self` may move to `to`.
    fn may_become(self, to: Self) -> bool {
        self.next().contains(&to)
    }

    /// The stored value of `to`, once the move from `self` is checked
    /// (`INTERNAL`: a service tried a transition the workflow forbids).
    fn require_move(self, to: Self) -> AppResult<String> {
        if self.may_become(to) {
            Ok(to.to_value())
        } else {
            Err(AppError::internal(anyhow::anyhow!(
                "{} cannot move from {:?} to {:?}",
                Self::NOUN,
                self,
                to
            )))
        }
    }
}

impl Workflow for OrderStatus {
    const NOUN: &'static str = "an order";

    /// PENDING until paid (COMPLETED) or failed (CANCELLED); a refund
    /// cancels a COMPLETED order.
    fn next(self) -> &'static [Self] {
        match self {
            OrderStatus::Pending => &[OrderStatus::Completed, OrderStatus::Cancelled],
            OrderStatus::Completed => &[OrderStatus::Cancelled],
            OrderStatus::Cancelled => &[],
        }
    }
}

impl Workflow for InvoiceStatus {
    const NOUN: &'static str = "an invoice";

    /// ISSUED until paid (PAID) or voided by a failed payment; a refund
    /// voids a PAID invoice. A VOID invoice keeps its number.
    fn next(self) -> &'static [Self] {
        match self {
            InvoiceStatus::Issued => &[InvoiceStatus::Paid, InvoiceStatus::Void],
            InvoiceStatus::Paid => &[InvoiceStatus::Void],
            InvoiceStatus::Void => &[],
        }
    }
}

impl Workflow for PaymentStatus {
    const NOUN: &'static str = "a payment";

    /// PENDING until the provider says SUCCESS or FAILED; only a
    /// successful payment can be REFUNDED.
    fn next(self) -> &'static [Self] {
        match self {
            PaymentStatus::Pending => &[PaymentStatus::Success, PaymentStatus::Failed],
            PaymentStatus::Success => &[PaymentStatus::Refunded],
            PaymentStatus::Failed | PaymentStatus::Refunded => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_successful_payment_can_be_refunded() {
        assert!(PaymentStatus::Success.may_become(PaymentStatus::Refunded));
        assert!(!PaymentStatus::Failed.may_become(PaymentStatus::Refunded));
        assert!(!PaymentStatus::Pending.may_become(PaymentStatus::Refunded));
        assert!(OrderStatus::Cancelled.require_move(OrderStatus::Completed).is_err());
        assert_eq!(
            InvoiceStatus::Issued.require_move(InvoiceStatus::Paid).unwrap(),
            InvoiceStatus::Paid.to_value()
        );
        assert!(is(&OrderStatus::Pending.to_value(), OrderStatus::Pending) && !is("nope", OrderStatus::Pending));
    }
}
