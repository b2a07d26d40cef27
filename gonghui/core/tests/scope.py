"""What the generic scope suite needs from core's own pages."""

NO_OBJECT_LINKS = {"calendar": "the working-day calendar: dates, no objects"}
