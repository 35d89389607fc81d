from anaplan_mcp.cli import main

raise SystemExit(main())
