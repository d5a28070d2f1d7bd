//! Work that spans steps and systems (sending an application, paying its fee, a message to the
//! citizen): called by the handlers and by background rounds alike, and tested without HTTP.

pub mod pay;
pub mod postfach;
pub mod submit;
