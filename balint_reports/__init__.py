"""balint-reports: monthly accreditation progress reports for Balint group leaders in training."""
