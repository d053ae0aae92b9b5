"""Exports of match results and case shortlists: CSV, printable HTML, PDF and iCalendar deadlines."""
