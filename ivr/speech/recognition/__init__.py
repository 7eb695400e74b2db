"""Speech recognition: Vosk and faster-whisper recognisers, the recognition service, the model catalogue."""
