"""Comment classification: sentiment (positiv / skeptisk / negativ) and the areas a comment speaks of, as
Medborgarpulsen reports them; two engines (embedded scikit-learn, real Rasa over HTTP) with one result type.
"""

from ivr.nlu.engines import Classifier, classifier_for
from ivr.nlu.labels import AREAS, SENTIMENTS, Area, Classification, Sentiment, SentimentScore
from ivr.nlu.masking import mask_personal_data

__all__ = [
    "AREAS",
    "SENTIMENTS",
    "Area",
    "Classification",
    "Classifier",
    "Sentiment",
    "SentimentScore",
    "classifier_for",
    "mask_personal_data",
]
