# Person, Article and Citation arrive with the articles issue.
