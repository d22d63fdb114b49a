"""The assistant on the self-service page: answers routine questions from the customer's case
and a knowledge base that operators edit, and hands the conversation to a person when it cannot
answer or the customer asks for one (seed 000: 人机协同).

:mod:`.models` holds the tables, :mod:`.retrieval` finds the article a question is about (TF-IDF
over jieba words and character bigrams, scikit-learn; no model weights), :mod:`.service` keeps
the conversations, the hand-offs and the agents' replies.
"""
