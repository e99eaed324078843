"""The tourism guide on the web: a page, a map and their JSON, served by the bot's own process
(aiohttp) and opened inside Telegram as a Mini App."""
