"""Browser signing: documents awaiting an official and three-step signing sessions."""
