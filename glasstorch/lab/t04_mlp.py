"""(experiments of this topic: see catalog.TOPICS)"""
