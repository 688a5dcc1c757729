"""The one text toolkit: every stage that reads words, names, numbers or dates uses it.

* ``lexicon`` — the word lists (stopwords, title words, months, number words, ...), each
  written once, as data;
* ``tokens`` — normalization, folding, tokens, content words and overlap measures;
* ``sentences`` — sentence splitting and the lede;
* ``figures`` — numbers and figures, calendar dates, parsing dates;
* ``names`` — proper names in running text and the keys that compare them;
* ``fixups`` — the rules that repair a small model's output (titles in names, headline
  style, cut-off sentences); each says what it fixes;
* ``addressed`` — text addressed to a model or to the brief, which is never news.

Nothing here imports the rest of briefgen: it sits below every stage.
"""
