// Package nlu is Parley's in-process natural-language understanding: intent
// classification, Kore-style patterns, synonyms, concepts, spelling
// tolerance and the ranking and resolver, in pure Go and deterministic
// (fixed seeds, sorted maps: the same training data gives the same model).
// Entities live in the entity sub-package and the `parley nlu` command in
// nlucli.
//
// # Model
//
// An utterance is normalised (NFKC, case folding), tokenised, spell-corrected
// against the bot vocabulary (edit distance 1 for words of 5–7 letters, 2 for 8+
// letters, via a symmetric-delete index), has the bot's synonyms rewritten
// to their key and is stemmed (Snowball). Its features are two TF-IDF
// blocks (sublinear tf, smoothed idf), each L2-normalised and weighted to an
// equal share of the vector norm: word unigrams and bigrams of stems, and
// character 3–5-grams within word boundaries of the (corrected) words. The
// word block carries meaning, the character block carries morphology and
// robustness to typos and unseen inflections; concatenating them is the
// single-model form of an ensemble of a word and a character model. Feature
// keys are 64-bit FNV-1a hashes computed while the key is read (character
// n-grams incrementally), so no key string is built or stored.
//
// A third, dense block is the unit-length mean of the pre-trained word
// vectors of the utterance's content words (English: GloVe, package embed),
// with a third of the norm. It carries the meaning of words the bot never
// saw in training ("reservation" near "booking"), which is where small bots
// fail: cross-validation with 5 to 10 sentences per intent cut errors by
// 17–18 % with it, and found it neutral on large training sets. Because it
// adds a hundred features to every utterance, bots with more than a million
// utterance × intent pairs train without it (Options.VectorMaxPairs).
//
// The classifier is one-vs-rest linear SVMs (L2-regularised squared hinge,
// with bias) trained by dual coordinate descent with shrinking (Hsieh et
// al. 2008, LIBLINEAR's default solver), written here so the whole package
// stays pure Go. Bots with many intents train their classes in up to four
// groups on separate goroutines; the grouping depends only on the number of
// intents, so the model does not depend on the machine. Why this model: on short texts with tens to thousands of
// examples per bot, linear models on word and character n-grams are the
// strongest cheap baseline in the literature and in our cross-validation;
// the dual solver is exact (a convex problem solved to a tolerance, no
// learning rate), trains a 150-intent × 100-utterance bot in about three
// seconds on two cores (each intent sees a sample of its negatives in bots
// of many intents), and scoring is one sparse row per feature, tens of
// microseconds per utterance. A transformer encoder (what reaches 0.99 on
// SNIPS) needs about 2.7 GFLOP per 16-token utterance for BERT-base;
// scalar Go does 1.0–1.8 GFLOP/s on one core here
// (BenchmarkEncoderProjection), so seconds per utterance against a budget
// of 100 µs. Static word vectors give part of its benefit at a fraction of
// the cost.
//
// A multinomial naive Bayes over the same features can be trained next to
// the SVMs and averaged with them (Options.NBWeight). Cross-validation
// found it neutral on Braun and worth 6 of 13,784 SNIPS sentences, for
// twice the model memory and slower classification, so it is off by
// default (RESULTS.md records that this was decided after the test
// figures had been seen).
//
// Confidences are calibrated: a single sigmoid (Platt scaling) maps SVM
// margins to probabilities, fitted on margins of utterances the SVMs did not
// train on, so they reflect unseen utterances. Bots with fewer than 50
// utterances per intent get truly held-out margins (3 folds, three extra
// small trainings); larger bots use approximate leave-one-out margins (a
// training pair's own dual contribution removed, Jaakkola–Haussler), which
// cost nothing but collapse for small and mid-size bots: most utterances
// are support vectors there, their margins are pushed far down, and the
// fitted sigmoid became so flat that a 7-intent bot with 30 utterances per
// intent rejected 89 % of in-scope utterances. One-vs-rest probabilities
// do not sum to one, which is what lets an out-of-scope utterance score low
// for every intent. The probability is then multiplied by the share of the
// utterance's content words the bot knows, so an utterance made of unseen
// words cannot start an intent even in a two-intent bot. Each word weighs
// the log of its frequency rank in general English, so an unseen everyday
// word ("see") costs less than an unseen rare one ("ubuntu"), and the share
// is raised to the power 0.7.
//
// # Hyperparameters
//
// [DefaultOptions] is one set for every bot, chosen by stratified
// cross-validation on the training splits only (5-fold on SNIPS train+val,
// leave-one-out on the three Braun corpora; see `nlu cv` and RESULTS.md):
// C=3, character 3–5-grams, equal word/character share, word vectors with a
// third of the norm, bigrams on, raw tokens off, sublinear tf, no class
// balancing, no naive-Bayes ensemble, spelling correction on, singleton
// features dropped from bots of 2,000+ utterances. Word vectors and the
// character range were also judged with a few-shot protocol (`nlu cv
// --per-intent N`: train on N sentences per intent, score on the rest).
// Most settings were within noise of each other; where they tied, the
// cheaper one was kept.
//
// # Patterns
//
// Kore's ChatScript-like syntax (reference §8.3), so Kore exports keep their
// meaning; the full list is in pattern.go. Words are compared after the
// same normalisation, synonym rewriting and stemming as the utterance, so a
// pattern word matches its inflections and its bot synonyms ('word asks
// for the word as written). Choices [ ], options { }, sub-patterns ( ),
// any-order groups << >>, wildcards, anchors and !word / !!word are
// supported; sub-patterns nest inside choices.
//
// # Resolver
//
// An utterance that refuses what it names ("I don't want to transfer
// money") eliminates the matches of intents not trained with refusals, as
// Kore's "negationIntent" does; languages that can tell implement
// lang.WithNegation. Of two definite pattern matches in separate parts of a
// sentence, the earlier wins ("book me a flight and then book a cab").
//
// Patterns and an utterance equal
// to a training utterance are definite matches; so is an ML confidence at or
// above Thresholds.Definite (Kore: 0.95). One definite match wins; several
// are ambiguous. Otherwise ML matches at or above Thresholds.Minimum (0.3)
// are probable: the top one wins unless the runner-up is within
// Thresholds.Proximity (0.02), which is ambiguous ("did you mean"). Nothing
// at or above the minimum is no match (the default dialog).
//
// Languages plug in through lang.Language (tokeniser, stemmer, stop
// words). Built in: English (with word vectors), Spanish and French (Snowball
// stemmers and stop words; n-grams without vectors). The entity parsers
// read digits, e-mail addresses, URLs and phone numbers in any language;
// number words, amounts of money and dates in words ("veinticinco",
// "veinte euros", "mañana", "vendredi prochain", "3 de marzo", "dans 3
// jours") in English, Spanish and French; quantities, times and periods in
// words in English only.
package nlu
