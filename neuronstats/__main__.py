from neuronstats.cli import main

raise SystemExit(main())
