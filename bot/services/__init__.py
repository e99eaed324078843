"""Services the channels call: users, (later) announcements and feedback. No Telegram types here."""
