"""楼务公开墙 Open building boards: buildings, councils and their rosters."""
