"""What the Twilio adapter (``webhooks``) needs beside it: the signature check, one typed
parse of each request, the :class:`~twilio_turn.turn.TwilioTurn` that implements the voice
menu's protocol over the database, the route table the branches declare, and the spool
that keeps what callers left while the database was down."""
