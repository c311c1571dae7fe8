"""Live polls and quizzes: one vote per session, aggregated results, a fair close on the video clock."""
