"""halsosupport: the command line and the small platform the services share (logging, database,
authentication, Kafka helpers, the embedded broker and the development mail server).

Services import this package and `schemas`, never each other.
"""
