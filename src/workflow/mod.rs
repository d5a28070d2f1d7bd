//! Work that spans steps and systems (sending an application, paying its fee): called by the
//! handlers and by background rounds alike, and tested without HTTP.

pub mod pay;
pub mod submit;
