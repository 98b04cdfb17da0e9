"""楼事服务指南 Service guide: departments (entries arrive with the guide issue)."""
