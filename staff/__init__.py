"""The staff side: the web application (web/) and the JSON API (api/), and what they share."""
