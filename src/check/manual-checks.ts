// What a package cannot show and a reviewer must check by hand or at run time (需人工/动态). Listed in
// every report so that a pass is never read as covering them. From 《App违法违规收集使用个人信息行为认定方法》
// and the 164号文 scenarios (design note §4.7).
import type { Text } from './types.js';

export const MANUAL_CHECKS: readonly Text[] = [
  { zh: '隐私政策：是否存在、易于访问，并逐一列出收集的个人信息及嵌入的第三方SDK', en: 'Privacy policy: present, easy to reach, and listing every kind of personal data collected and every embedded third-party SDK' },
  { zh: '征得同意前是否已开始收集个人信息或申请权限', en: 'Whether personal data is collected or permissions are requested before consent' },
  { zh: '申请权限时是否同步告知目的；用户拒绝后是否频繁重复申请（48小时内）', en: 'Whether each permission request states its purpose, and whether it is re-requested after refusal (within 48 hours)' },
  { zh: '收集频率、后台收集及自启动、关联启动行为', en: 'Collection frequency, background collection, self-start and chain-start behaviour' },
  { zh: '账号注销功能是否可用', en: 'Whether account deletion works' },
  { zh: '广告：面向学生的要求使用应用不得含商业广告及游戏；“摇一摇”等误触跳转', en: 'Advertising: apps required for students must carry no commercial ads or games; shake-to-open and other misleading jumps' },
  { zh: '数据实际传输（是否发送至第三方SDK服务器、是否加密传输）', en: 'Actual data transmission (to third-party SDK servers; encrypted or not)' },
];
