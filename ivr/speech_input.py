"""Spoken answers to the menu, for callers who say a choice instead of pressing a key.

Used only when ``SPEECH_INPUT`` is on; Twilio's ``ru-RU`` recogniser sends the words in
``SpeechResult`` and the menu treats them as the matching key.
"""

from __future__ import annotations

import re

WORDS_TO_KEYS = {
    "ноль": "0",
    "один": "1",
    "одна": "1",
    "первый": "1",
    "два": "2",
    "второй": "2",
    "три": "3",
    "третий": "3",
    "четыре": "4",
    "четвёртый": "4",
    "четвертый": "4",
    "пять": "5",
    "шесть": "6",
    "семь": "7",
    "восемь": "8",
    "девять": "9",
    "оператор": "0",
    "сотрудник": "0",
    "человек": "0",
    "запись": "1",
    "записаться": "1",
    "обращение": "2",
    "статус": "3",
    "адрес": "4",
    "повторить": "*",
    "повтор": "*",
    "назад": "*",
    "да": "1",
}


def keys_from_speech(text: str) -> str:
    """The key a spoken answer stands for: the first word we know, else ``?`` (wrong key)."""
    for word in re.findall(r"[а-яё]+|\d", text.lower()):
        if word.isdigit():
            return word
        if word in WORDS_TO_KEYS:
            return WORDS_TO_KEYS[word]
    return "?"
