//! Fees paid online through the tenant's ePayment provider, which speaks XBezahldienste.

pub mod demo_provider;
pub mod xbezahldienste;
