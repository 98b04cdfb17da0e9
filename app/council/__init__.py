"""楼事会工作台 Council workspace shell (dashboard); domains keep their own staff routes."""
