"""Live show analytics for the producer's dashboard: viewers, chat, reactions, sales, deals."""
