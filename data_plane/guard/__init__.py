"""The SQL guard's policies: which functions, operators and write statements a token may send."""
